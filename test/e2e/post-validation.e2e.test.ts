/**
 * POST /api/warranties input rules (SPEC table): every rejected request is a JSON error naming exactly
 * the offending fields, and writes nothing at all (store, item, warranty, archive_record unchanged).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { assertError, assertNothingWritten, assertWarrantyShape, snapshot } from '../support/api-assertions.js';
import { post, send, type Reply } from '../../harness/http-client.js';
import { createDatabase, serviceEnv, sqlClient, startApp, type TestApp } from '../support/test-env.js';

const VALID = Object.freeze({
  store_uuid: 'validation-store',
  item_type: 'furniture',
  item_sku: 'validation-sku',
  item_cost: 150,
  item_title: 'Oak chair',
});
type Field = keyof typeof VALID;
const FIELDS = Object.keys(VALID) as Field[];

const without = (field: Field): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...VALID };
  delete copy[field];
  return copy;
};
const withValue = (field: string, value: unknown): Record<string, unknown> => ({ ...VALID, [field]: value });
/** The valid body as JSON text, with one field's value replaced by raw JSON text (e.g. `1e-7`, `-0`, `1e400`). */
const withRaw = (field: Field, rawJson: string): string =>
  JSON.stringify({ ...VALID, [field]: '\u0000RAW' }).replace('"\\u0000RAW"', rawJson);

interface BadCase {
  name: string;
  body: unknown;
  fields: string[];
}

const C0_AND_DEL = ['\u0000', '\u0001', '\u0007', '\u0008', '\u001b', '\u001f', '\u007f'];
const INNER_CONTROL = [...C0_AND_DEL, '\t', '\n', '\r', '\u000b', '\u000c', '\u0085', '\u009f'];

const BAD_CASES: BadCase[] = [
  // Missing, null, wrong JSON type: for every field.
  ...FIELDS.flatMap((field): BadCase[] => [
    { name: `${field} missing`, body: without(field), fields: [field] },
    { name: `${field} null`, body: withValue(field, null), fields: [field] },
    { name: `${field} an array`, body: withValue(field, [VALID[field]]), fields: [field] },
    { name: `${field} an object`, body: withValue(field, { value: VALID[field] }), fields: [field] },
    { name: `${field} a boolean`, body: withValue(field, true), fields: [field] },
  ]),
  ...(['store_uuid', 'item_type', 'item_sku', 'item_title'] as const).flatMap((field): BadCase[] => [
    { name: `${field} a number`, body: withValue(field, 12345), fields: [field] },
    { name: `${field} empty`, body: withValue(field, ''), fields: [field] },
    { name: `${field} empty after trimming`, body: withValue(field, ' \t\n '), fields: [field] },
  ]),

  // store_uuid: 1–64 of A-Z a-z 0-9 _ -
  { name: 'store_uuid 65 chars', body: withValue('store_uuid', 'a'.repeat(65)), fields: ['store_uuid'] },
  ...['b21ad 0676f', 'store!', 'store.1', 'store/1', 'störe', "store'1", 'store%20', '{store}', 'a\u0000b'].map((value) => ({
    name: `store_uuid ${JSON.stringify(value)}`,
    body: withValue('store_uuid', value),
    fields: ['store_uuid'],
  })),

  // item_type: 1–64 of a-z 0-9 _ - (after lower-casing): too long is 400, not 422
  { name: 'item_type 65 chars', body: withValue('item_type', 'f'.repeat(65)), fields: ['item_type'] },
  ...['home goods', 'furniture!', 'möbel', 'furni.ture', 'furni\u0000ture', 'furni\nture'].map((value) => ({
    name: `item_type ${JSON.stringify(value)}`,
    body: withValue('item_type', value),
    fields: ['item_type'],
  })),

  // item_sku: 1–128 printable, no control characters
  { name: 'item_sku 129 chars', body: withValue('item_sku', 's'.repeat(129)), fields: ['item_sku'] },
  { name: 'item_sku 129 emoji', body: withValue('item_sku', '📦'.repeat(129)), fields: ['item_sku'] },
  ...INNER_CONTROL.map((control) => ({
    name: `item_sku with U+${control.charCodeAt(0).toString(16).padStart(4, '0')} inside`,
    body: withValue('item_sku', `sku${control}1`),
    fields: ['item_sku'],
  })),
  ...C0_AND_DEL.map((control) => ({
    name: `item_sku starting with U+${control.charCodeAt(0).toString(16).padStart(4, '0')} (not whitespace, so not trimmed)`,
    body: withValue('item_sku', `${control}sku`),
    fields: ['item_sku'],
  })),
  { name: 'item_sku with a line separator inside', body: withValue('item_sku', 'sku\u2028x'), fields: ['item_sku'] },
  { name: 'item_sku with a lone surrogate', body: withValue('item_sku', 'sku\ud800x'), fields: ['item_sku'] },

  // item_title: 1–255, no control characters
  { name: 'item_title 256 chars', body: withValue('item_title', 't'.repeat(256)), fields: ['item_title'] },
  { name: 'item_title 256 emoji', body: withValue('item_title', '🛋'.repeat(256)), fields: ['item_title'] },
  ...INNER_CONTROL.map((control) => ({
    name: `item_title with U+${control.charCodeAt(0).toString(16).padStart(4, '0')} inside`,
    body: withValue('item_title', `Oak${control}chair`),
    fields: ['item_title'],
  })),
  { name: 'item_title with a lone surrogate', body: withValue('item_title', 'Oak \udc00 chair'), fields: ['item_title'] },

  // item_cost: JSON number (not a string), > 0, ≤ 1,000,000, at most 2 decimals
  ...['150', '150.00', '1e2', '', ' 150 ', 'NaN'].map((value) => ({
    name: `item_cost as the string ${JSON.stringify(value)}`,
    body: withValue('item_cost', value),
    fields: ['item_cost'],
  })),
  { name: 'item_cost 0', body: withValue('item_cost', 0), fields: ['item_cost'] },
  { name: 'item_cost -0', body: withRaw('item_cost', '-0'), fields: ['item_cost'] },
  { name: 'item_cost -1', body: withValue('item_cost', -1), fields: ['item_cost'] },
  { name: 'item_cost -0.01', body: withValue('item_cost', -0.01), fields: ['item_cost'] },
  { name: 'item_cost 1,000,000.01', body: withValue('item_cost', 1_000_000.01), fields: ['item_cost'] },
  { name: 'item_cost 1,000,001', body: withValue('item_cost', 1_000_001), fields: ['item_cost'] },
  { name: 'item_cost 1e21', body: withRaw('item_cost', '1e21'), fields: ['item_cost'] },
  { name: 'item_cost 1e400 (parses to Infinity)', body: withRaw('item_cost', '1e400'), fields: ['item_cost'] },
  { name: 'item_cost 150.001 (3 decimals)', body: withValue('item_cost', 150.001), fields: ['item_cost'] },
  { name: 'item_cost 1.005 (3 decimals)', body: withValue('item_cost', 1.005), fields: ['item_cost'] },
  { name: 'item_cost 0.001', body: withValue('item_cost', 0.001), fields: ['item_cost'] },
  { name: 'item_cost 0.1 + 0.2 (binary noise, 17 decimals)', body: withValue('item_cost', 0.1 + 0.2), fields: ['item_cost'] },
  { name: 'item_cost 1.5e-3 in exponent notation', body: withRaw('item_cost', '1.5e-3'), fields: ['item_cost'] },
  {
    name: 'item_cost 1e-7 in exponent notation',
    body: withRaw('item_cost', '1e-7'),
    fields: ['item_cost'],
  },
  {
    name: 'item_cost 5e-324 (smallest double)',
    body: withRaw('item_cost', '5e-324'),
    fields: ['item_cost'],
  },

  // Extra fields
  { name: 'one extra field', body: withValue('color', 'red'), fields: ['color'] },
  { name: 'an extra field that is null', body: withValue('discount', null), fields: ['discount'] },
  { name: 'an extra field differing only in case', body: withValue('Item_Cost', 150), fields: ['Item_Cost'] },
  { name: 'a mis-spelt field instead of the right one', body: { ...without('item_sku'), itemSku: 'x' }, fields: ['item_sku', 'itemSku'] },
  { name: 'an extra "id" field', body: withValue('id', 1), fields: ['id'] },
  {
    name: 'an extra "__proto__" field',
    body: JSON.stringify(VALID).replace(/}$/, ',"__proto__":{"admin":true}}'),
    fields: ['__proto__'],
  },
  {
    name: 'an extra "constructor" field',
    body: JSON.stringify(VALID).replace(/}$/, ',"constructor":"x"}'),
    fields: ['constructor'],
  },

  // Several bad fields at once: every one is named
  { name: 'an empty object', body: {}, fields: [...FIELDS] },
  {
    name: 'every field bad at once, plus two extras',
    body: {
      store_uuid: 'bad uuid!',
      item_type: null,
      item_sku: 'a\u0000b',
      item_cost: '150',
      item_title: 't'.repeat(256),
      color: 'red',
      size: 3,
    },
    fields: [...FIELDS, 'color', 'size'],
  },
  {
    name: 'two bad fields, three good ones',
    body: { ...VALID, item_cost: -5, store_uuid: '' },
    fields: ['item_cost', 'store_uuid'],
  },
  {
    name: 'a missing field and a wrong type',
    body: { ...without('item_title'), item_cost: [150] },
    fields: ['item_title', 'item_cost'],
  },
];

describe('POST /api/warranties: input validation (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let sql: pg.Client;

  before(async () => {
    const databaseUrl = await createDatabase();
    app = await startApp(serviceEnv(databaseUrl));
    sql = await sqlClient(databaseUrl);
    // Existing data, so "nothing written" also covers updates of a known store/item.
    const seeded = await post(app.url, VALID);
    assert.equal(seeded.status, 201, seeded.text);
  });

  after(async () => {
    await sql?.end();
    await app?.close();
  });

  const rejected = (body: unknown, headers?: Record<string, string>): Promise<Reply> =>
    assertNothingWritten(sql, () => post(app.url, body, headers));

  describe('400 VALIDATION_FAILED naming exactly the offending fields; nothing written', () => {
    for (const badCase of BAD_CASES) {
      it(`${badCase.name} → 400 [${badCase.fields.join(', ')}]`, async () => {
        const reply = await rejected(badCase.body);
        assertError(reply, 400, 'VALIDATION_FAILED', badCase.fields);
        for (const field of badCase.fields) assert.ok(reply.body.message.includes(field), `message names ${field}: ${reply.body.message}`);
      });
    }
  });

  describe('error messages', () => {
    it('an unknown field is reported as not accepted', async () => {
      const reply = await rejected(withValue('color', 'red'));
      assert.deepEqual(reply.body.details, [{ field: 'color', message: 'is not an accepted field' }]);
    });

    it('a missing field is reported as required', async () => {
      const reply = await rejected(without('item_sku'));
      assert.deepEqual(reply.body.details, [{ field: 'item_sku', message: 'is required' }]);
    });

    it('each offending field appears once in details, with one message', async () => {
      const reply = await rejected({ ...VALID, item_cost: 'abc', item_sku: '' });
      assert.equal(reply.body.details.length, 2, reply.text);
    });

    it('item_cost sent as a string is told it must be a number (not that it exceeds the maximum)', async () => {
      for (const value of ['150', true, [150], { amount: 150 }]) {
        const reply = await rejected(withValue('item_cost', value));
        assertError(reply, 400, 'VALIDATION_FAILED', ['item_cost']);
        assert.match(reply.body.details[0].message, /number/i, `for ${JSON.stringify(value)}: ${reply.text}`);
        assert.doesNotMatch(reply.body.details[0].message, /exceed/i, `for ${JSON.stringify(value)}: ${reply.text}`);
      }
    });

    it('item_cost with 3 decimals is told about the 2-decimal rule', async () => {
      const reply = await rejected(withValue('item_cost', 12.345));
      assert.match(reply.body.details[0].message, /2 decimal/, reply.text);
    });
  });

  describe('values at the edges of the rules are accepted', () => {
    const accepted = async (body: Record<string, unknown>): Promise<Reply> => {
      const reply = await post(app.url, body);
      assert.ok(reply.status === 200 || reply.status === 201, `HTTP ${reply.status} ${reply.text}`);
      for (const warranty of reply.body.warranties) assertWarrantyShape(warranty);
      return reply;
    };

    it('store_uuid of 64 chars (also padded with spaces), an RFC UUID and the 15-hex id', async () => {
      const long = 'S'.repeat(30) + '_-' + '9'.repeat(32);
      assert.equal(long.length, 64);
      assert.equal((await accepted({ ...VALID, store_uuid: long })).body.warranties[0].store_uuid, long);
      assert.equal((await accepted({ ...VALID, store_uuid: `  ${long}  ` })).body.warranties[0].store_uuid, long);
      for (const uuid of ['123e4567-e89b-12d3-a456-426614174000', 'b21ad0676f26439', 'a']) {
        assert.equal((await accepted({ ...VALID, store_uuid: uuid })).body.warranties[0].store_uuid, uuid);
      }
    });

    it('item_type upper-case and padded is lower-cased; a 64-char type passes validation (422: no such type)', async () => {
      assert.equal((await accepted({ ...VALID, item_type: '\tFURNITURE  ' })).body.warranties[0].item_type, 'furniture');
      const reply = await rejected({ ...VALID, item_type: 'f'.repeat(64) });
      assertError(reply, 422, 'ITEM_NOT_ELIGIBLE');
    });

    it('item_sku of 128 chars, of 128 emoji, and with any printable Unicode (format characters: unicode-fields.e2e)', async () => {
      for (const sku of ['s'.repeat(128), '📦'.repeat(128), 'ßkü-Ø/ä #1 (x) "q" \\ 中文', 'sku\u00e9-\u05e9\u05dc\u05d5\u05dd']) {
        const reply = await accepted({ ...VALID, item_sku: sku });
        assert.equal(reply.body.warranties[0].item_sku, sku);
        const { rows } = await sql.query('SELECT sku FROM item WHERE sku = $1', [sku]);
        assert.equal(rows.length, 1, `stored exactly: ${sku}`);
      }
    });

    it('item_title of 255 chars and of 255 emoji; leading/trailing whitespace (incl. newlines) is trimmed', async () => {
      for (const [i, title] of ['t'.repeat(255), '🛋'.repeat(255)].entries()) {
        const reply = await accepted({ ...VALID, item_sku: `title-255-${i}`, item_title: title });
        assert.equal(reply.body.warranties[0].item_title, title);
      }
      const reply = await accepted({ ...VALID, item_sku: 'title-trim', item_title: '\n\t Oak chair \r\n' });
      assert.equal(reply.body.warranties[0].item_title, 'Oak chair');
    });

    it('item_cost 0.01 and exactly 1,000,000 pass validation (422: no type covers them)', async () => {
      for (const cost of [0.01, 1_000_000]) {
        const reply = await rejected({ ...VALID, item_type: 'jewelry', item_cost: cost });
        assertError(reply, 422, 'ITEM_NOT_ELIGIBLE');
      }
    });

    it('item_cost with 1 or 2 decimals, an integer, or in exponent notation', async () => {
      for (const [raw, cost] of [
        ['150.5', 150.5],
        ['150.25', 150.25],
        ['150.10', 150.1],
        ['150.0', 150],
        ['1.5e2', 150],
        ['15025e-2', 150.25],
      ] as const) {
        const reply = await post(app.url, withRaw('item_cost', raw));
        assert.ok(reply.status === 200 || reply.status === 201, `${raw}: HTTP ${reply.status} ${reply.text}`);
        assert.equal(reply.body.warranties[0].item_cost, cost, raw);
      }
    });
  });

  describe('body that is not a JSON object', () => {
    for (const [name, body] of [
      ['an array', JSON.stringify([VALID])],
      ['an empty array', '[]'],
      ['a string', '"store_uuid"'],
      ['null', 'null'],
      ['a number', '42'],
      ['true', 'true'],
    ] as const) {
      it(`${name} → 400 naming the body; nothing written`, async () => {
        const reply = await rejected(body);
        assertError(reply, 400, ['VALIDATION_FAILED', 'MALFORMED_JSON'], ['body']);
      });
    }

    it('an empty body with Content-Type application/json → 400 naming the body; nothing written', async () => {
      const reply = await assertNothingWritten(sql, () =>
        send(app.url, '/api/warranties', { method: 'POST', headers: { 'content-type': 'application/json' } }),
      );
      assertError(reply, 400, ['VALIDATION_FAILED', 'MALFORMED_JSON'], ['body']);
    });

    for (const [name, text] of [
      ['truncated', '{"store_uuid": "abc", "item_type": '],
      ['unquoted keys', '{store_uuid: "abc"}'],
      ['single quotes', "{'store_uuid': 'abc'}"],
      ['a trailing comma', JSON.stringify(VALID).replace(/}$/, ',}')],
      ['two objects', `${JSON.stringify(VALID)}${JSON.stringify(VALID)}`],
      ['an unterminated string', '{"store_uuid": "abc'],
      ['NaN as a value', JSON.stringify(VALID).replace('150', 'NaN')],
      ['a comment', `/* hi */ ${JSON.stringify(VALID)}`],
      ['plain text', 'hello'],
    ] as const) {
      it(`malformed JSON (${name}) → 400 MALFORMED_JSON; nothing written`, async () => {
        const reply = await rejected(text);
        assertError(reply, 400, 'MALFORMED_JSON');
      });
    }
  });

  describe('body size: 16 KiB at most', () => {
    const padded = (bytes: number): string => {
      const json = JSON.stringify({ ...VALID, item_sku: `size-${bytes}` });
      return json.replace(/}$/, `${' '.repeat(bytes - Buffer.byteLength(json))}}`);
    };

    it('exactly 16 KiB (whitespace-padded valid JSON) is accepted', async () => {
      const body = padded(16 * 1024);
      assert.equal(Buffer.byteLength(body), 16 * 1024);
      const reply = await post(app.url, body);
      assert.equal(reply.status, 201, reply.text);
    });

    it('16 KiB + 1 byte → 413 PAYLOAD_TOO_LARGE; nothing written', async () => {
      const body = padded(16 * 1024 + 1);
      assert.equal(Buffer.byteLength(body), 16 * 1024 + 1);
      assertError(await rejected(body), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('a 17 000-char title → 413 (size is checked before fields); nothing written', async () => {
      assertError(await rejected(withValue('item_title', 'x'.repeat(17_000))), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('a 1 MiB body → 413, answered quickly; nothing written', async () => {
      const started = Date.now();
      assertError(await rejected(withValue('item_title', 'x'.repeat(1024 * 1024))), 413, 'PAYLOAD_TOO_LARGE');
      assert.ok(Date.now() - started < 5000);
    });

    it('a chunked body (no Content-Length) over 16 KiB → 413; nothing written', async () => {
      const chunk = new TextEncoder().encode(JSON.stringify(withValue('item_title', 'x'.repeat(20_000))));
      const reply = await assertNothingWritten(sql, () =>
        send(app.url, '/api/warranties', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: new ReadableStream({
            start(controller) {
              controller.enqueue(chunk);
              controller.close();
            },
          }),
          duplex: 'half',
        } as RequestInit),
      );
      assertError(reply, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('a chunked body within the limit is accepted', async () => {
      const chunk = new TextEncoder().encode(JSON.stringify({ ...VALID, item_sku: 'chunked-ok' }));
      const reply = await send(app.url, '/api/warranties', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(chunk);
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      assert.equal(reply.status, 201, reply.text);
    });
  });

  describe('Content-Type', () => {
    for (const contentType of [
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/octet-stream',
    ]) {
      it(`${contentType} (with a valid JSON body) → 415 UNSUPPORTED_MEDIA_TYPE; nothing written`, async () => {
        assertError(await rejected(VALID, { 'content-type': contentType }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      });
    }

    it('no Content-Type at all → 415; nothing written', async () => {
      const reply = await assertNothingWritten(sql, () =>
        send(app.url, '/api/warranties', { method: 'POST', body: new Blob([JSON.stringify(VALID)]) }),
      );
      assertError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('application/json in a charset other than UTF-8 → 415; nothing written', async () => {
      assertError(await rejected(VALID, { 'content-type': 'application/json; charset=latin1' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('application/json; charset=utf-8 and upper-case APPLICATION/JSON are accepted', async () => {
      for (const [sku, contentType] of [
        ['ct-1', 'application/json; charset=utf-8'],
        ['ct-2', 'APPLICATION/JSON'],
      ]) {
        const reply = await post(app.url, { ...VALID, item_sku: sku }, { 'content-type': contentType });
        assert.equal(reply.status, 201, `${contentType}: ${reply.text}`);
      }
    });
  });

  describe('422 ITEM_NOT_ELIGIBLE: valid input, but no plan; nothing written', () => {
    for (const [name, patch] of [
      ['an unknown type', { item_type: 'spaceship' }],
      ['a type that looks like an object key: __proto__', { item_type: '__proto__' }],
      ['a type that looks like an object key: constructor', { item_type: 'constructor' }],
      ['a type that looks like an object key: tostring', { item_type: 'toString' }],
      ['furniture just below its range (49.99)', { item_cost: 49.99 }],
      ['furniture just above its range (10,000.01)', { item_cost: 10_000.01 }],
      ['electronics below its range (19.99)', { item_type: 'electronics', item_cost: 19.99 }],
      ['phones above its range (5,000.01)', { item_type: 'phones', item_cost: 5000.01 }],
    ] as const) {
      it(`${name} → 422`, async () => {
        const reply = await rejected({ ...VALID, item_sku: 'not-eligible', ...patch });
        assertError(reply, 422, 'ITEM_NOT_ELIGIBLE');
        for (const field of reply.body.details ?? []) assert.ok(['item_type', 'item_cost'].includes(field.field), reply.text);
      });
    }

    it('the eligible range is inclusive: furniture at 50.00 and at 10,000.00 get plans', async () => {
      for (const cost of [50, 10_000]) {
        const reply = await post(app.url, { ...VALID, item_sku: `edge-${cost}`, item_cost: cost });
        assert.equal(reply.status, 201, reply.text);
        assert.equal(reply.body.warranties.length, 2);
      }
    });

    it('an existing item re-sent with an ineligible cost keeps its item row and its plans untouched', async () => {
      const first = await post(app.url, { ...VALID, item_sku: 'becomes-ineligible' });
      assert.equal(first.status, 201);
      const reply = await rejected({ ...VALID, item_sku: 'becomes-ineligible', item_cost: 20_000 });
      assertError(reply, 422, 'ITEM_NOT_ELIGIBLE');
      const { rows } = await sql.query(
        `SELECT i.cost::text AS cost, count(w.id)::int AS plans FROM item i JOIN warranty w ON w.item_id = i.id
         WHERE i.sku = 'becomes-ineligible' GROUP BY i.cost`,
      );
      assert.deepEqual(rows, [{ cost: '150.00', plans: 2 }]);
    });

    it('the 422 message does not echo control characters or huge input back', async () => {
      const reply = await rejected({ ...VALID, item_type: 'x'.repeat(64) });
      assertError(reply, 422, 'ITEM_NOT_ELIGIBLE');
      assert.ok(reply.text.length < 2000);
    });
  });

  describe('a rejected request of a known item changes nothing (updates are caught too)', () => {
    it('400 for a known store/sku with one bad field leaves store, item, plans and archive as they were', async () => {
      const before = await snapshot(sql);
      for (const body of [
        { ...VALID, item_title: 'New title', item_cost: -1 },
        { ...VALID, item_title: 'New title', extra: 1 },
        { ...VALID, item_cost: 200, item_type: 'furniture!' },
      ]) {
        assertError(await post(app.url, body), 400, 'VALIDATION_FAILED');
      }
      assert.deepEqual(await snapshot(sql), before);
    });
  });
});
