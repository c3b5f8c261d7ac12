/**
 * DtoRules, the validation pipe's shortcut for valid values, against class-validator itself: for
 * thousands of generated bodies and queries of every DTO — valid ones, hostile text, wrong types,
 * missing and foreign fields — the pipe answers exactly what it answers with class-validator alone
 * (the same value, or the same 400 details), and it takes the shortcut for every valid value of a DTO
 * the shortcut models.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArgumentMetadata, Type, ValidationError } from '@nestjs/common';
import { validate, type ValidatorOptions } from 'class-validator';
import { encodeChangeCursor } from '../../src/changes/change-cursor.js';
import { ChangesQuery } from '../../src/changes/dto/changes.query.js';
import { ApiError } from '../../src/http/api-error.js';
import { DtoRules } from '../../src/http/dto-rules.js';
import { RequestValidationPipe } from '../../src/http/validation.pipe.js';
import { PricingQuery } from '../../src/pricing/dto/pricing.query.js';
import { PublishVersionDto } from '../../src/pricing/dto/publish-version.dto.js';
import { QuoteRequestDto } from '../../src/pricing/dto/quote.dto.js';
import { BatchItemDto, CreateWarrantyBatchDto } from '../../src/warranties/dto/create-warranty-batch.dto.js';
import { CreateWarrantyDto, EXAMPLE_SUBMISSION } from '../../src/warranties/dto/create-warranty.dto.js';
import { ListWarrantiesQuery } from '../../src/warranties/dto/list-warranties.query.js';
import { encodeCursor } from '../../src/warranties/page-cursor.js';

/** The same pipe with class-validator deciding every value: the reference. */
class ClassValidatorOnly extends RequestValidationPipe {
  protected override validate(object: object, options?: ValidatorOptions): Promise<ValidationError[]> {
    return validate(object, options);
  }
}

const pipe = new RequestValidationPipe();
const reference = new ClassValidatorOnly();

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE: unknown[] = [
  '',
  ' ',
  '  padded  ',
  'a'.repeat(300),
  'cafe\u0301',
  'caf\u00e9',
  '\uD800',
  'x\uDC00y',
  'tab\there',
  'new\nline',
  'nul\u0000',
  'emoji 😀',
  'ÅNGSTRÖM',
  '<script>',
  'toString',
  '0',
  '-1',
  '01',
  '1.5',
  '1e3',
  '1000',
  '1001',
  ' 5',
  'garbage',
  0,
  -1,
  1,
  1.5,
  19.999,
  1e-7,
  1e21,
  1_000_000.01,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  null,
  [],
  ['a'],
  ['1', '2'],
  {},
  { nested: 'x' },
];

/** Values that pass a field's rules, so that many generated objects are valid as a whole. */
const VALID: Record<string, unknown[]> = {
  store_uuid: [EXAMPLE_SUBMISSION.store_uuid, ' b21ad0676f26439 ', 'store-7'],
  item_type: ['furniture', 'Electronics ', 'appliances'],
  item_sku: [EXAMPLE_SUBMISSION.item_sku, 'SKU-1'],
  item_title: [EXAMPLE_SUBMISSION.item_title, 'cafe\u0301 table', 'A chair'],
  item_cost: [150, 19.99, 0.01, 1_000_000],
  sku: ['SKU-1', ' SKU-2'],
  limit: ['1', '100', '1000', 7],
  cursor: [encodeCursor(5), encodeChangeCursor({ xid: '42', itemId: 7 })],
  items: [[{ ...EXAMPLE_SUBMISSION }], [1, 2], Array.from({ length: 501 }, () => ({}))],
};

const FOREIGN = ['extra', 'toString', 'constructor', 'valueOf'];

/** A generated value: each declared field absent, valid or hostile; now and then a foreign field. */
function generate(next: () => number, fields: string[]): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const field of fields) {
    const roll = next();
    if (roll < 0.1) continue;
    const pool = roll < 0.75 && VALID[field] ? VALID[field] : HOSTILE;
    value[field] = pool[Math.floor(next() * pool.length)];
  }
  if (next() < 0.05) value[FOREIGN[Math.floor(next() * FOREIGN.length)]] = 'x';
  return value;
}

type Outcome = { accepted: unknown; prototype: object | null } | { refused: unknown };

async function outcome(of: RequestValidationPipe, value: object, metadata: ArgumentMetadata): Promise<Outcome> {
  try {
    const accepted = await of.transform(structuredClone(value), metadata);
    return { accepted: { ...(accepted as object) }, prototype: Object.getPrototypeOf(accepted) };
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return { refused: { status: error.getStatus(), code: error.code, details: error.details } };
  }
}

const CASES: { dto: Type<object>; type: 'body' | 'query'; fields: string[] }[] = [
  { dto: CreateWarrantyDto, type: 'body', fields: ['store_uuid', 'item_type', 'item_sku', 'item_cost', 'item_title'] },
  { dto: BatchItemDto, type: 'body', fields: ['item_type', 'item_sku', 'item_cost', 'item_title'] },
  { dto: CreateWarrantyBatchDto, type: 'body', fields: ['store_uuid', 'items'] },
  { dto: QuoteRequestDto, type: 'body', fields: ['store_uuid', 'item_type', 'item_cost'] },
  { dto: ListWarrantiesQuery, type: 'query', fields: ['sku', 'item_type', 'store_uuid', 'limit', 'cursor'] },
  { dto: ChangesQuery, type: 'query', fields: ['cursor', 'limit', 'store_uuid'] },
  { dto: PricingQuery, type: 'query', fields: ['store_uuid'] },
];

describe('DtoRules: the validation pipe answers as class-validator alone does', () => {
  for (const { dto, type, fields } of CASES) {
    it(`${dto.name}: 3,000 generated ${type === 'body' ? 'bodies' : 'queries'}, the same answer, valid ones by the shortcut`, async () => {
      const next = random(dto.name.length * 7919);
      const accepts = DtoRules.prototype.accepts;
      let shortcut = 0;
      DtoRules.prototype.accepts = function (object: object) {
        const yes = accepts.call(this, object);
        if (yes) shortcut++;
        return yes;
      };
      let valid = 0;
      try {
        for (let n = 0; n < 3000; n++) {
          const value = generate(next, fields);
          const metadata = { type, metatype: dto } as ArgumentMetadata;
          const before = shortcut;
          const expected = await outcome(reference, value, metadata);
          assert.equal(shortcut, before, 'the reference never takes the shortcut');
          const actual = await outcome(pipe, value, metadata);
          assert.deepEqual(actual, expected, `value ${JSON.stringify(value)}`);
          if ('accepted' in expected) {
            valid++;
            assert.equal(shortcut, before + 1, `a valid value went to class-validator: ${JSON.stringify(value)}`);
          }
        }
      } finally {
        DtoRules.prototype.accepts = accepts;
      }
      // The generator must reach both sides, or the comparison proves little.
      assert.ok(valid >= 100 && valid <= 2900, `${valid} of 3,000 valid`);
    });
  }

  it('leaves to class-validator what it does not model: nested rules and `each` (PublishVersionDto), groups, skipping', () => {
    assert.equal(DtoRules.of(PublishVersionDto), undefined);
    assert.ok(DtoRules.of(CreateWarrantyDto));
    // An option it does not model (groups, skipping) sends every class to class-validator.
    assert.ok(DtoRules.models({ whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true, forbidUnknownValues: true }));
    assert.equal(DtoRules.models({ whitelist: true, groups: ['x'] }), false);
    assert.equal(DtoRules.models({ skipMissingProperties: true }), false);
  });
});
