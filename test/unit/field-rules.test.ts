/**
 * The text field rules (src/common/text-field.ts, and each module's own field rules) through RequestValidationPipe with the real
 * DTOs: lengths in Unicode code points after trimming and NFC normalization (as PostgreSQL counts
 * varchar(n)), the character rules of item_sku and item_title, the same rules for the GET filter, and
 * the flag-less pattern the OpenAPI document publishes for them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArgumentMetadata } from '@nestjs/common';
import { codePointLength, publishedPattern } from '../../src/common/text-field.js';
import { ApiError } from '../../src/http/api-error.js';
import { ITEM_SKU, ITEM_TITLE } from '../../src/items/item-fields.js';
import { ITEM_TYPE } from '../../src/pricing/pricing-fields.js';
import { STORE_UUID } from '../../src/stores/store-fields.js';
import { RequestValidationPipe } from '../../src/http/validation.pipe.js';
import { BatchItemDto } from '../../src/warranties/dto/create-warranty-batch.dto.js';
import { CreateWarrantyDto, EXAMPLE_SUBMISSION } from '../../src/warranties/dto/create-warranty.dto.js';
import { ListWarrantiesQuery } from '../../src/warranties/dto/list-warranties.query.js';

const TEXT_RULES = { store_uuid: STORE_UUID, item_type: ITEM_TYPE, item_sku: ITEM_SKU, item_title: ITEM_TITLE };
const pipe = new RequestValidationPipe();
const asBody = async (value: object) =>
  (await pipe.transform(value, { type: 'body', metatype: CreateWarrantyDto } as ArgumentMetadata)) as CreateWarrantyDto;
const asBatchItem = async (value: object) =>
  (await pipe.transform(value, { type: 'body', metatype: BatchItemDto } as ArgumentMetadata)) as BatchItemDto;
const asQuery = async (value: object) =>
  (await pipe.transform(value, { type: 'query', metatype: ListWarrantiesQuery } as ArgumentMetadata)) as ListWarrantiesQuery;

/** A valid body: the API's example submission. */
const VALID = EXAMPLE_SUBMISSION;

/** The 400 details of `promise` (which must reject with VALIDATION_FAILED), one message per field. */
async function refusal(promise: Promise<unknown>): Promise<Record<string, string>> {
  const error = await promise.then(
    () => assert.fail('accepted'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.code, 'VALIDATION_FAILED');
  return Object.fromEntries(error.details.map((detail) => [detail.field, detail.message]));
}

/** A batch item: the POST's fields without store_uuid. */
const ITEM = Object.fromEntries(Object.entries(VALID).filter(([field]) => field !== 'store_uuid'));

const HEART = '\u2764\uFE0F'; // ❤️: two code points, one grapheme; validator.js isLength counted it as one
const hex = (text: string) => [...text].map((char) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');

describe('lengths count Unicode code points, after trimming and NFC normalization', () => {
  it('codePointLength counts code points: astral characters one each, a variation selector one', () => {
    assert.equal(codePointLength(''), 0);
    assert.equal(codePointLength('abc'), 3);
    assert.equal(codePointLength('📦'), 1);
    assert.equal(codePointLength(HEART), 2);
    assert.equal(codePointLength('e\u0301'), 2);
    assert.equal(codePointLength('\ud800'), 1);
  });

  it('item_title: 253 × a + ❤️ (255 code points) is accepted; 254 × a + ❤️ (256) is a 400 saying how many', async () => {
    assert.equal((await asBody({ ...VALID, item_title: `${'a'.repeat(253)}${HEART}` })).item_title.length, 255);
    const details = await refusal(asBody({ ...VALID, item_title: `${'a'.repeat(254)}${HEART}` }));
    assert.deepEqual(Object.keys(details), ['item_title']);
    assert.match(details.item_title, /1 to 255 characters long, counted in Unicode code points \(this one has 256\)/);
  });

  it('item_sku: 127 × x + U+FE0F is accepted, 128 × x + U+FE0F is a 400; 128 astral characters fit, 129 do not', async () => {
    await asBody({ ...VALID, item_sku: `${'x'.repeat(127)}\uFE0F` });
    assert.deepEqual(Object.keys(await refusal(asBody({ ...VALID, item_sku: `${'x'.repeat(128)}\uFE0F` }))), ['item_sku']);
    await asBody({ ...VALID, item_sku: '📦'.repeat(128) });
    assert.deepEqual(Object.keys(await refusal(asBody({ ...VALID, item_sku: '📦'.repeat(129) }))), ['item_sku']);
  });

  it('every text field, at its maximum and one over, in units whose UTF-16 or grapheme count differs from code points', async () => {
    // Each unit is already NFC (q has no precomposed form with these marks, which are in canonical order).
    const units = ['a', 'é', '€', '📦', `x\uFE0F`, HEART, 'q\u0316\u0301'];
    for (const field of ['item_sku', 'item_title'] as const) {
      const max = TEXT_RULES[field].maxLength;
      for (const unit of units) {
        const size = codePointLength(unit);
        const fits = unit.repeat(Math.floor(max / size)) + 'z'.repeat(max % size);
        const over = `${fits}z`;
        assert.equal(codePointLength((await asBody({ ...VALID, [field]: fits }))[field]), max, `${field} ${hex(unit)}`);
        assert.deepEqual(Object.keys(await refusal(asBody({ ...VALID, [field]: over }))), [field], `${field} ${hex(unit)}`);
        // A batch item follows the same rules.
        assert.deepEqual(Object.keys(await refusal(asBatchItem({ ...ITEM, [field]: over }))), [field]);
      }
    }
  });

  it('the order: trim, then NFC, then count — an NFD title of 510 code points is 255 after composing; NFC may also grow a value', async () => {
    const title = await asBody({ ...VALID, item_title: `  ${'e\u0301'.repeat(255)}\t` });
    assert.equal(title.item_title, '\u00e9'.repeat(255));
    // U+0958 has no NFC form of its own: it becomes U+0915 U+093C, so 128 of them are 256 code points once stored.
    assert.equal('\u0958'.normalize('NFC'), '\u0915\u093C');
    assert.deepEqual(Object.keys(await refusal(asBody({ ...VALID, item_sku: '\u0958'.repeat(128) }))), ['item_sku']);
    assert.equal((await asBody({ ...VALID, item_sku: '\u0958'.repeat(64) })).item_sku, '\u0915\u093C'.repeat(64));
    // Whitespace around a combining mark: trimming first leaves the mark alone (nothing to compose with).
    assert.equal((await asBody({ ...VALID, item_title: ' \u0301x ' })).item_title, '\u0301x');
  });
});

describe('NFC: canonically equivalent spellings are one value', () => {
  it('item_sku and item_title arrive NFC-normalized, whatever form was sent', async () => {
    const nfd = await asBody({ ...VALID, item_sku: ' cafe\u0301-1 ', item_title: 'Cre\u0300me bru\u0302le\u0301e' });
    assert.equal(nfd.item_sku, 'caf\u00e9-1');
    assert.equal(nfd.item_title, 'Cr\u00e8me br\u00fbl\u00e9e');
    assert.equal((await asBody({ ...VALID, item_sku: 'caf\u00e9-1' })).item_sku, nfd.item_sku);
    // Hangul jamo compose to syllables; an already-NFC value is left as it is.
    assert.equal((await asBody({ ...VALID, item_sku: '\u1112\u1161\u11AB' })).item_sku, '\uD55C');
    assert.equal((await asBody({ ...VALID, item_title: 'Ångström' })).item_title, 'Ångström'.normalize('NFC'));
  });

  it('the GET filter sku is normalized the same way (an NFD filter finds the NFC item)', async () => {
    assert.equal((await asQuery({ sku: 'cafe\u0301-1' })).sku, 'caf\u00e9-1');
    assert.deepEqual(Object.keys(await refusal(asQuery({ sku: 'a\u200Bb' }))), ['sku']);
    assert.deepEqual(Object.keys(await refusal(asQuery({ sku: `${'x'.repeat(128)}\uFE0F` }))), ['sku']);
  });
});

/** Code points item_sku refuses: control (Cc), format (Cf), private use (Co), noncharacters, line/paragraph separators. */
const SKU_REFUSED: [string, string][] = [
  ['NUL', '\u0000'],
  ['ESC', '\u001B'],
  ['DEL', '\u007F'],
  ['a C1 control (NEL)', '\u0085'],
  ['soft hyphen', '\u00AD'],
  ['Arabic letter mark', '\u061C'],
  ['Mongolian vowel separator', '\u180E'],
  ['zero-width space', '\u200B'],
  ['zero-width non-joiner', '\u200C'],
  ['zero-width joiner', '\u200D'],
  ['left-to-right mark', '\u200E'],
  ['line separator', '\u2028'],
  ['paragraph separator', '\u2029'],
  ['LRE', '\u202A'],
  ['RLO', '\u202E'],
  ['word joiner', '\u2060'],
  ['LRI', '\u2066'],
  ['PDI', '\u2069'],
  ['BOM inside', '\uFEFF'],
  ['interlinear annotation anchor', '\uFFF9'],
  ['private use (BMP)', '\uE000'],
  ['private use (Apple logo)', '\uF8FF'],
  ['noncharacter U+FDD0', '\uFDD0'],
  ['noncharacter U+FDEF', '\uFDEF'],
  ['noncharacter U+FFFE', '\uFFFE'],
  ['noncharacter U+FFFF', '\uFFFF'],
  ['noncharacter U+1FFFE', '\u{1FFFE}'],
  ['noncharacter U+10FFFF', '\u{10FFFF}'],
  ['private use plane 15', '\u{F0000}'],
  ['private use plane 16', '\u{100000}'],
  ['language tag', '\u{E0001}'],
  ['tag letter', '\u{E0061}'],
  ['musical format (U+1D173)', '\u{1D173}'],
];

/** Code points item_title refuses: control (Cc), bidi overrides and isolates, noncharacters, line/paragraph separators. */
const TITLE_REFUSED: [string, string][] = [
  ['NUL', '\u0000'],
  ['ESC', '\u001B'],
  ['DEL', '\u007F'],
  ['a C1 control (CSI)', '\u009B'],
  ['line separator', '\u2028'],
  ['paragraph separator', '\u2029'],
  ['LRE', '\u202A'],
  ['RLE', '\u202B'],
  ['PDF', '\u202C'],
  ['LRO', '\u202D'],
  ['RLO', '\u202E'],
  ['LRI', '\u2066'],
  ['RLI', '\u2067'],
  ['FSI', '\u2068'],
  ['PDI', '\u2069'],
  ['noncharacter U+FDD0', '\uFDD0'],
  ['noncharacter U+FFFF', '\uFFFF'],
  ['noncharacter U+2FFFE', '\u{2FFFE}'],
];

const SKU_ACCEPTED = [
  'café',
  'CAFÉ-12',
  'A B',
  '📦-1',
  `x\uFE0F`,
  HEART,
  '東京-42',
  'مرحبا',
  'שלום',
  'a\u0301\u0316',
  '\u{20000}',
  '\u{E0100}',
  '#1/2',
];
const TITLE_ACCEPTED = [
  "Amy's Sectional Sofa",
  'Family 👨\u200D👩\u200D👧 set',
  `I ${HEART} NY`,
  '🏳️\u200D🌈 flag',
  'Brand \uF8FF logo',
  'soft\u00ADhyphen',
  'zero\u200Bwidth',
  'mixed \u200Fעברית\u200E text',
  'مرحبا بالعالم',
  'BOM\uFEFFinside',
  '\u{F0000} private',
];

describe('characters', () => {
  for (const [name, char] of SKU_REFUSED) {
    it(`item_sku with ${name} (${hex(char)}) → 400 naming item_sku and the code point`, async () => {
      const details = await refusal(asBody({ ...VALID, item_sku: `sku${char}1` }));
      assert.deepEqual(Object.keys(details), ['item_sku']);
      if (char !== '\u0000') assert.ok(details.item_sku.includes(`(found ${hex(char)})`), details.item_sku);
    });
  }

  for (const [name, char] of TITLE_REFUSED) {
    it(`item_title with ${name} (${hex(char)}) → 400 naming item_title`, async () => {
      const details = await refusal(asBody({ ...VALID, item_title: `Oak${char}chair` }));
      assert.deepEqual(Object.keys(details), ['item_title']);
    });
  }

  it('item_sku accepts letters, marks, symbols and emoji of every script (no format characters)', async () => {
    for (const sku of SKU_ACCEPTED) assert.equal((await asBody({ ...VALID, item_sku: sku })).item_sku, sku.normalize('NFC'), hex(sku));
  });

  it('item_title accepts emoji sequences with ZWJ and variation selectors, marks of direction, private use (see README)', async () => {
    for (const title of TITLE_ACCEPTED) assert.equal((await asBody({ ...VALID, item_title: title })).item_title, title, hex(title));
  });
});

describe('the pattern the OpenAPI document publishes', () => {
  const patterns = {
    item_sku: publishedPattern(TEXT_RULES.item_sku.characters),
    item_title: publishedPattern(TEXT_RULES.item_title.characters),
  };

  it('store_uuid and item_type are published exactly as checked (ASCII classes)', () => {
    assert.equal(publishedPattern(TEXT_RULES.store_uuid.characters), '^[A-Za-z0-9_-]+$');
    assert.equal(publishedPattern(TEXT_RULES.item_type.characters), '^[a-z0-9_-]+$');
  });

  it('is a negated class of \\u escapes only, and compiles the same with and without the u flag', () => {
    for (const pattern of Object.values(patterns)) {
      assert.match(pattern, /^\^\[\^(\\u[0-9A-F]{4}(-\\u[0-9A-F]{4})?)+\]\+\$$/);
      assert.doesNotThrow(() => new RegExp(pattern, 'u'));
    }
  });

  for (const field of ['item_sku', 'item_title'] as const) {
    it(`${field}: on every BMP character the published pattern (with or without the u flag) agrees with the server`, () => {
      const server = TEXT_RULES[field].characters;
      const plain = new RegExp(patterns[field]);
      const unicode = new RegExp(patterns[field], 'u');
      const disagree: string[] = [];
      for (let point = 0; point <= 0xffff; point++) {
        if (point >= 0xd800 && point <= 0xdfff) continue;
        const char = String.fromCharCode(point);
        const expected = server.test(char);
        if (plain.test(char) !== expected || unicode.test(char) !== expected) disagree.push(hex(char));
      }
      assert.deepEqual(disagree, []);
    });

    it(`${field}: never refuses a (trimmed) value the server accepts (generated clients must not block valid input)`, () => {
      const accepted = field === 'item_sku' ? SKU_ACCEPTED : TITLE_ACCEPTED;
      for (const value of accepted) {
        assert.ok(new RegExp(patterns[field]).test(value), `${hex(value)} without u`);
        assert.ok(new RegExp(patterns[field], 'u').test(value), `${hex(value)} with u`);
      }
    });

    it(`${field}: refuses every BMP character the server refuses; those beyond the BMP it cannot name (README)`, () => {
      const refused = field === 'item_sku' ? SKU_REFUSED : TITLE_REFUSED;
      for (const [name, char] of refused) {
        const astral = char.codePointAt(0)! > 0xffff;
        assert.equal(new RegExp(patterns[field], 'u').test(`a${char}b`), astral, name);
        assert.equal(new RegExp(patterns[field]).test(`a${char}b`), astral, name);
      }
    });
  }
});
