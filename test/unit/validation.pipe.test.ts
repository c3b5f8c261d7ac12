/** RequestValidationPipe with the real DTOs: what a controller receives, and the 400s it throws. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArgumentMetadata } from '@nestjs/common';
import { ApiError } from '../../src/http/api-error.js';
import { RequestValidationPipe } from '../../src/http/validation.pipe.js';
import { CreateWarrantyDto, EXAMPLE_SUBMISSION } from '../../src/warranties/dto/create-warranty.dto.js';
import { ListWarrantiesQuery } from '../../src/warranties/dto/list-warranties.query.js';

const pipe = new RequestValidationPipe();
const asBody = (value: unknown) => pipe.transform(value, { type: 'body', metatype: CreateWarrantyDto } as ArgumentMetadata);
const asQuery = (value: unknown) => pipe.transform(value, { type: 'query', metatype: ListWarrantiesQuery } as ArgumentMetadata);

/** A valid body: the API's example submission. */
const VALID = EXAMPLE_SUBMISSION;

/** Asserts the pipe rejects with a 400 VALIDATION_FAILED ApiError naming exactly `fields`; returns the details. */
async function rejects(promise: Promise<unknown>, fields: string[]): Promise<{ field: string; message: string }[]> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ApiError, `expected an ApiError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.equal(caught.getStatus(), 400);
  assert.equal(caught.code, 'VALIDATION_FAILED');
  const details = caught.details ?? [];
  assert.deepEqual([...new Set(details.map((d) => d.field))].sort(), [...fields].sort(), JSON.stringify(details));
  assert.equal(details.length, new Set(details.map((d) => d.field)).size, 'one message per field');
  for (const field of fields) assert.ok(caught.message.includes(field), caught.message);
  return details;
}

describe('RequestValidationPipe with CreateWarrantyDto', () => {
  it('returns a CreateWarrantyDto with trimmed strings and a lower-cased item_type', async () => {
    const dto = await asBody({
      store_uuid: ' s-1 ',
      item_type: ' FURNITURE\t',
      item_sku: '\nsku ',
      item_cost: 99.99,
      item_title: '  Chair  ',
    });
    assert.ok(dto instanceof CreateWarrantyDto);
    assert.deepEqual(
      { ...(dto as object) },
      { store_uuid: 's-1', item_type: 'furniture', item_sku: 'sku', item_cost: 99.99, item_title: 'Chair' },
    );
  });

  it('does not change the object it was given (the archive keeps the raw body)', async () => {
    const raw = { ...VALID, store_uuid: '  padded  ' };
    await asBody(raw);
    assert.equal(raw.store_uuid, '  padded  ');
  });

  it('names every missing field, each as required', async () => {
    const details = await rejects(asBody({}), Object.keys(VALID));
    for (const detail of details) assert.equal(detail.message, 'is required');
  });

  it('names unknown fields as not accepted, next to the bad known ones', async () => {
    const details = await rejects(asBody({ ...VALID, item_cost: 0, color: 'red', Size: 1 }), ['item_cost', 'color', 'Size']);
    assert.equal(details.find((d) => d.field === 'color')?.message, 'is not an accepted field');
  });

  for (const value of [null, undefined, [], [VALID], 'text', 42, true]) {
    it(`a body that is not an object (${JSON.stringify(value) ?? 'undefined'}) is named "body"`, async () => {
      await rejects(asBody(value), ['body']);
    });
  }

  it('text rules: length limits count characters after trimming; control characters refused', async () => {
    await rejects(asBody({ ...VALID, store_uuid: 'a'.repeat(65) }), ['store_uuid']);
    await asBody({ ...VALID, store_uuid: ` ${'a'.repeat(64)} ` });
    await rejects(asBody({ ...VALID, item_type: 'f'.repeat(65) }), ['item_type']);
    await rejects(asBody({ ...VALID, item_sku: 's'.repeat(129) }), ['item_sku']);
    await asBody({ ...VALID, item_sku: '📦'.repeat(128) });
    await rejects(asBody({ ...VALID, item_title: 't'.repeat(256) }), ['item_title']);
    await asBody({ ...VALID, item_title: 't'.repeat(255) });
    await rejects(asBody({ ...VALID, item_sku: 'a\u0000b', item_title: 'a\u001bb' }), ['item_sku', 'item_title']);
    await rejects(asBody({ ...VALID, store_uuid: 'a b', item_type: 'a.b' }), ['store_uuid', 'item_type']);
  });

  it('item_cost rules: number only, > 0, ≤ 1,000,000, at most 2 decimals', async () => {
    for (const good of [0.01, 1, 150.5, 150.25, 999_999.99, 1_000_000]) await asBody({ ...VALID, item_cost: good });
    for (const bad of [0, -0, -1, 1_000_000.01, 0.001, 150.123, Number.NaN, Infinity, -Infinity, '150', null, true, [150], { v: 150 }]) {
      await rejects(asBody({ ...VALID, item_cost: bad }), ['item_cost']);
    }
  });

  it('item_cost in exponent notation (1e-7) is a 400, not a crash', async () => {
    await rejects(asBody({ ...VALID, item_cost: 1e-7 }), ['item_cost']);
    await rejects(asBody({ ...VALID, item_cost: 5e-324 }), ['item_cost']);
  });

  it('a string item_cost is told it must be a number', async () => {
    const [detail] = await rejects(asBody({ ...VALID, item_cost: '150' }), ['item_cost']);
    assert.match(detail.message, /number/);
  });

  it('"__proto__" and "constructor" keys (as JSON.parse makes them) are refused like any unknown field', async () => {
    await rejects(asBody(JSON.parse(`${JSON.stringify(VALID).slice(0, -1)},"__proto__":{"x":1}}`)), ['__proto__']);
    await rejects(asBody(JSON.parse(`${JSON.stringify(VALID).slice(0, -1)},"constructor":"x"}`)), ['constructor']);
  });

  it('leaves other kinds of arguments alone (route params, primitives, no metatype)', async () => {
    const value = { anything: 1 };
    assert.equal(await pipe.transform(value, { type: 'param', metatype: CreateWarrantyDto } as ArgumentMetadata), value);
    assert.equal(await pipe.transform('42', { type: 'param', metatype: String } as ArgumentMetadata), '42');
    assert.equal(await pipe.transform(value, { type: 'body', metatype: Object } as ArgumentMetadata), value);
    assert.equal(await pipe.transform(value, { type: 'body' } as ArgumentMetadata), value);
    assert.equal(await pipe.transform(value, { type: 'custom', metatype: CreateWarrantyDto } as ArgumentMetadata), value);
  });
});

describe('RequestValidationPipe with ListWarrantiesQuery', () => {
  it('no parameters is fine', async () => {
    const query = await asQuery({});
    assert.ok(query instanceof ListWarrantiesQuery);
    assert.deepEqual({ ...(query as object) }, {});
  });

  it('turns limit into a number and normalises the filters like the POST fields', async () => {
    const query = (await asQuery({
      limit: '50',
      sku: ' sku-1 ',
      item_type: 'FURNITURE ',
      store_uuid: ' s ',
      cursor: 'djE6NDI',
    })) as ListWarrantiesQuery;
    assert.deepEqual({ ...query }, { limit: 50, sku: 'sku-1', item_type: 'furniture', store_uuid: 's', cursor: 'djE6NDI' });
    assert.equal(((await asQuery({ limit: '1' })) as ListWarrantiesQuery).limit, 1);
    assert.equal(((await asQuery({ limit: '1000' })) as ListWarrantiesQuery).limit, 1000);
    assert.equal(((await asQuery({ limit: '007' })) as ListWarrantiesQuery).limit, 7);
  });

  for (const limit of ['0', '1001', '-1', 'abc', '1.5', '1e2', '', ' 5', '10abc', '99999999', ['1', '2']]) {
    it(`limit ${JSON.stringify(limit)} → 400 [limit]`, async () => {
      await rejects(asQuery({ limit }), ['limit']);
    });
  }

  it('empty, malformed or repeated filters are named', async () => {
    await rejects(asQuery({ sku: '' }), ['sku']);
    await rejects(asQuery({ item_type: '  ' }), ['item_type']);
    await rejects(asQuery({ store_uuid: 'bad!' }), ['store_uuid']);
    await rejects(asQuery({ sku: ['a', 'b'] }), ['sku']);
    await rejects(asQuery({ sku: 'a\u0000' }), ['sku']);
    await rejects(asQuery({ cursor: ['a', 'b'] }), ['cursor']);
    await rejects(asQuery({ sku: '', item_type: 'x y', store_uuid: 'a'.repeat(65), limit: '0' }), [
      'sku',
      'item_type',
      'store_uuid',
      'limit',
    ]);
  });

  it('unknown parameters are named, also the POST field name item_sku (the filter is "sku")', async () => {
    await rejects(asQuery({ foo: '1' }), ['foo']);
    await rejects(asQuery({ item_sku: 'x', page: '2' }), ['item_sku', 'page']);
  });

  it('a query that is not an object is named "query"', async () => {
    await rejects(asQuery(null), ['query']);
    await rejects(asQuery('sku=x'), ['query']);
  });
});
