/**
 * GET /api/warranties (filters, keyset pages, parameter validation) and GET /api/warranties/:id,
 * against data seeded through the public POST endpoint. The expected rows are what the POSTs answered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, assertWarrantyShape } from '../support/api-assertions.js';
import { post, send, type Reply } from '../../harness/http-client.js';
import { createDatabase, serviceEnv, startApp, type TestApp } from '../support/test-env.js';

type Warranty = {
  id: number;
  store_uuid: string;
  item_sku: string;
  item_type: string;
  [key: string]: unknown;
};
type Filter = { sku?: string; item_type?: string; store_uuid?: string };

const SEED: { store_uuid: string; item_sku: string; item_type: string; item_cost: number; item_title: string }[] = [
  { store_uuid: 'store-a', item_sku: 'sku-1', item_type: 'furniture', item_cost: 150, item_title: 'Sofa' },
  { store_uuid: 'store-a', item_sku: 'sku-2', item_type: 'electronics', item_cost: 500, item_title: 'TV' },
  { store_uuid: 'store-a', item_sku: 'sku-3', item_type: 'phones', item_cost: 300, item_title: 'Phone' },
  { store_uuid: 'store-b', item_sku: 'sku-1', item_type: 'electronics', item_cost: 100, item_title: 'Radio' },
  { store_uuid: 'store-b', item_sku: 'sku-2', item_type: 'furniture', item_cost: 1000, item_title: 'Table' },
  { store_uuid: 'store-b', item_sku: 'sku-4', item_type: 'furniture', item_cost: 75.5, item_title: 'Stool' },
  { store_uuid: 'store-c', item_sku: 'sku-1', item_type: 'phones', item_cost: 999.99, item_title: 'Phone Pro' },
  { store_uuid: 'store-c', item_sku: 'sku-5', item_type: 'mattresses', item_cost: 800, item_title: 'Mattress' },
  // store-b's sku-1 becomes furniture: its 36-month electronics plan disappears, the others change type.
  { store_uuid: 'store-b', item_sku: 'sku-1', item_type: 'furniture', item_cost: 100, item_title: 'Radio cabinet' },
];
const BULK_ITEMS = 60; // furniture, 2 plans each → 120 more rows, so the default page size (100) matters

const query = (params: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.append(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};

describe('GET /api/warranties and /api/warranties/:id (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  /** Every warranty that exists, by id, as the POSTs answered (later POSTs of an item replace its rows). */
  const current = new Map<number, Warranty>();
  let removedId: number;

  const record = (reply: Reply): void => {
    assert.ok(reply.status === 200 || reply.status === 201, reply.text);
    const [first] = reply.body.warranties as Warranty[];
    for (const [id, row] of current) if (row.store_uuid === first.store_uuid && row.item_sku === first.item_sku) current.delete(id);
    for (const row of reply.body.warranties as Warranty[]) current.set(row.id, row);
  };
  const expected = (filter: Filter = {}): Warranty[] =>
    [...current.values()]
      .filter(
        (row) =>
          (filter.sku === undefined || row.item_sku === filter.sku) &&
          (filter.item_type === undefined || row.item_type === filter.item_type) &&
          (filter.store_uuid === undefined || row.store_uuid === filter.store_uuid),
      )
      .sort((a, b) => a.id - b.id);
  const list = (params: Record<string, string | number | undefined>): Promise<Reply> => send(app.url, `/api/warranties${query(params)}`);
  const listOk = async (
    params: Record<string, string | number | undefined>,
  ): Promise<{ warranties: Warranty[]; next_cursor: string | null }> => {
    const reply = await list(params);
    assert.equal(reply.status, 200, reply.text);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(Object.keys(reply.body).sort(), ['next_cursor', 'warranties']);
    return reply.body;
  };
  /** Follows next_cursor until null (bounded), returning every page. */
  const walk = async (params: Filter & { limit?: number }): Promise<Warranty[][]> => {
    const pages: Warranty[][] = [];
    let cursor: string | undefined;
    const maxPages = current.size + 2;
    for (let i = 0; i < maxPages; i++) {
      const page = await listOk({ ...params, cursor });
      pages.push(page.warranties);
      if (page.next_cursor === null) return pages;
      assert.equal(typeof page.next_cursor, 'string');
      cursor = page.next_cursor;
    }
    assert.fail(`pagination did not end within ${maxPages} pages`);
  };

  before(async () => {
    app = await startApp(serviceEnv(await createDatabase()));
    const firstStoreB = await post(app.url, SEED[3]);
    record(firstStoreB);
    removedId = (firstStoreB.body.warranties as Warranty[]).find((w) => w.warranty_duration_months === 36)!.id;
    for (const payload of SEED.filter((_, i) => i !== 3)) record(await post(app.url, payload));
    for (let start = 0; start < BULK_ITEMS; start += 20) {
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(app.url, {
            store_uuid: 'bulk-store',
            item_sku: `bulk-${start + i}`,
            item_type: 'furniture',
            item_cost: 100 + start + i,
            item_title: `Bulk ${start + i}`,
          }),
        ),
      );
      replies.forEach(record);
    }
    assert.equal(current.size, 2 + 3 + 2 + 2 + 2 + 2 + 2 + 2 + BULK_ITEMS * 2);
    assert.ok(!current.has(removedId), 'the re-typed item lost its 36-month plan');
  });

  after(async () => {
    await app?.close();
  });

  describe('filters', () => {
    it('no filter, limit 1000: every warranty, ordered by id, as the POSTs answered; next_cursor null', async () => {
      const page = await listOk({ limit: 1000 });
      assert.deepEqual(page.warranties, expected());
      assert.equal(page.next_cursor, null);
      for (const warranty of page.warranties) assertWarrantyShape(warranty);
    });

    it('no limit: the first 100 by id, with a next_cursor', async () => {
      const page = await listOk({});
      assert.equal(page.warranties.length, 100);
      assert.deepEqual(page.warranties, expected().slice(0, 100));
      assert.equal(typeof page.next_cursor, 'string');
    });

    const VALUES = { sku: ['sku-1', 'sku-2'], item_type: ['furniture', 'electronics'], store_uuid: ['store-a', 'store-b'] } as const;
    const KEYS = Object.keys(VALUES) as (keyof Filter)[];
    const subsets = Array.from({ length: 8 }, (_, mask) => KEYS.filter((_, bit) => mask & (1 << bit)));
    for (const subset of subsets) {
      it(`filter by ${subset.length === 0 ? 'nothing' : subset.join(' + ')}: exactly the matching rows (every value combination)`, async () => {
        const combinations = subset.reduce<Filter[]>(
          (filters, key) => filters.flatMap((filter) => VALUES[key].map((value) => ({ ...filter, [key]: value }))),
          [{}],
        );
        let matched = 0;
        for (const filter of combinations) {
          const page = await listOk({ ...filter, limit: 1000 });
          assert.deepEqual(page.warranties, expected(filter), JSON.stringify(filter));
          assert.equal(page.next_cursor, null);
          matched += page.warranties.length;
        }
        assert.ok(matched > 0, 'at least one combination matches something');
      });
    }

    it('the seeded data makes the filters meaningful (sanity of the fixture)', () => {
      assert.equal(expected({ sku: 'sku-1' }).length, 2 + 2 + 2);
      assert.equal(new Set(expected({ sku: 'sku-1' }).map((w) => w.store_uuid)).size, 3, 'sku alone matches in every store');
      assert.equal(expected({ item_type: 'electronics' }).length, 3);
      assert.equal(expected({ sku: 'sku-1', item_type: 'furniture', store_uuid: 'store-b' }).length, 2);
      assert.equal(expected({ sku: 'sku-1', item_type: 'electronics', store_uuid: 'store-b' }).length, 0);
    });

    it('an item whose type changed is found under its new type only', async () => {
      const asElectronics = await listOk({ store_uuid: 'store-b', item_type: 'electronics', limit: 1000 });
      assert.deepEqual(asElectronics.warranties, []);
      const asFurniture = await listOk({ store_uuid: 'store-b', sku: 'sku-1', limit: 1000 });
      assert.deepEqual(
        asFurniture.warranties.map((w) => [w.item_type, w.warranty_duration_months, w.item_title]),
        [
          ['furniture', 12, 'Radio cabinet'],
          ['furniture', 24, 'Radio cabinet'],
        ],
      );
    });

    it('filter values follow the POST rules: trimmed, item_type lower-cased', async () => {
      const plain = await listOk({ store_uuid: 'store-a', item_type: 'furniture', sku: 'sku-1' });
      assert.equal(plain.warranties.length, 2);
      assert.deepEqual((await listOk({ store_uuid: '  store-a ', item_type: ' FURNITURE', sku: ' sku-1  ' })).warranties, plain.warranties);
    });

    it('no match → 200 with an empty list: unknown store, unknown sku, unknown type, contradicting filters', async () => {
      for (const filter of [
        { store_uuid: 'no-such-store' },
        { sku: 'no-such-sku' },
        { item_type: 'spaceships' },
        { store_uuid: 'store-c', item_type: 'furniture' },
        { store_uuid: 'no-such-store', sku: 'sku-1', item_type: 'furniture' },
        { sku: "' OR 1=1 --" },
        { sku: '%' },
        { store_uuid: '_' },
      ]) {
        const page = await listOk(filter);
        assert.deepEqual(page, { warranties: [], next_cursor: null }, JSON.stringify(filter));
      }
    });

    it('sku matching is exact (no LIKE wildcards, case-sensitive)', async () => {
      assert.deepEqual((await listOk({ sku: 'SKU-1' })).warranties, []);
      assert.deepEqual((await listOk({ sku: 'sku-_' })).warranties, []);
    });
  });

  describe('keyset pagination', () => {
    for (const [name, filter] of [
      ['no filter', {}],
      ['store_uuid', { store_uuid: 'bulk-store' }],
      ['item_type', { item_type: 'furniture' }],
      ['sku', { sku: 'sku-1' }],
      ['all three filters', { sku: 'sku-1', item_type: 'furniture', store_uuid: 'store-b' }],
      ['no match', { store_uuid: 'no-such-store' }],
    ] as [string, Filter][]) {
      it(`${name}: walking next_cursor with several page sizes collects every row exactly once, in id order`, async () => {
        const all = expected(filter);
        for (const limit of [1, 2, 3, 7, 100, 1000]) {
          if (limit === 1 && all.length > 60) continue; // keeps the test short; limit 1 is walked on smaller sets
          const pages = await walk({ ...filter, limit });
          assert.equal(pages.length, Math.max(1, Math.ceil(all.length / limit)), `pages at limit ${limit}`);
          for (const page of pages) assert.ok(page.length <= limit);
          for (const page of pages.slice(0, -1)) assert.equal(page.length, limit, 'only the last page may be short');
          const rows = pages.flat();
          assert.deepEqual(rows, all, `rows at limit ${limit}`);
          assert.equal(new Set(rows.map((w) => w.id)).size, rows.length, 'no row twice');
        }
      });
    }

    it('a page that ends exactly on the last row has next_cursor null (no empty trailing page)', async () => {
      const filter = { store_uuid: 'store-a', item_type: 'furniture' };
      assert.equal(expected(filter).length, 2);
      const page = await listOk({ ...filter, limit: 2 });
      assert.equal(page.warranties.length, 2);
      assert.equal(page.next_cursor, null);
      const first = await listOk({ ...filter, limit: 1 });
      assert.equal(typeof first.next_cursor, 'string');
    });

    it('rows created while walking appear after the cursor; none is skipped or repeated', async () => {
      const filter = { store_uuid: 'walk-store' };
      for (let i = 0; i < 5; i++) {
        record(
          await post(app.url, { store_uuid: 'walk-store', item_sku: `w-${i}`, item_type: 'furniture', item_cost: 200, item_title: 'Walk' }),
        );
      }
      const seen: Warranty[] = [];
      let page = await listOk({ ...filter, limit: 4 });
      seen.push(...page.warranties);
      record(
        await post(app.url, { store_uuid: 'walk-store', item_sku: 'w-new', item_type: 'furniture', item_cost: 200, item_title: 'Walk' }),
      );
      for (let i = 0; i < 10 && page.next_cursor !== null; i++) {
        page = await listOk({ ...filter, limit: 4, cursor: page.next_cursor });
        seen.push(...page.warranties);
      }
      assert.equal(page.next_cursor, null);
      assert.deepEqual(seen, expected(filter));
      assert.equal(seen.length, 12);
    });

    it('a cursor keeps working across page sizes and after the rows before it are gone', async () => {
      const firstPage = await listOk({ limit: 10 });
      const rest = await listOk({ limit: 1000, cursor: firstPage.next_cursor! });
      assert.deepEqual(rest.warranties, expected().slice(10));
    });

    it('a well-formed cursor past the last id → 200, empty, next_cursor null', async () => {
      const beyond = Buffer.from(`v1:${Math.max(...current.keys()) + 1000}`).toString('base64url');
      assert.deepEqual(await listOk({ cursor: beyond }), { warranties: [], next_cursor: null });
    });
  });

  describe('parameter validation: 400 naming the parameter', () => {
    const rejects = async (search: string, fields: string[]): Promise<void> => {
      const reply = await send(app.url, `/api/warranties${search}`);
      assertError(reply, 400, 'VALIDATION_FAILED', fields);
    };

    for (const value of ['0', '1001', '-1', 'abc', '1.5', '1e2', '10abc', '0x10', '99999999', '1,5', ' 5', 'Infinity', 'NaN', 'null']) {
      it(`limit=${JSON.stringify(value)} → 400 [limit]`, async () => {
        await rejects(`?limit=${encodeURIComponent(value)}`, ['limit']);
      });
    }

    it('limit 1 and limit 1000 are accepted', async () => {
      assert.equal((await listOk({ limit: 1 })).warranties.length, 1);
      assert.equal((await listOk({ limit: 1000 })).warranties.length, current.size);
    });

    const realCursor = async (): Promise<string> => (await listOk({ limit: 3 })).next_cursor!;
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    for (const [name, make] of [
      ['garbage', async () => 'garbage!'],
      ['random base64url', async () => 'zzzzzzzz'],
      ['a number', async () => '42'],
      [
        'a real cursor with its last character changed',
        async () => {
          const cursor = await realCursor();
          return cursor.slice(0, -1) + (cursor.endsWith('A') ? 'B' : 'A');
        },
      ],
      ['a real cursor with a character appended', async () => `${await realCursor()}x`],
      ['standard base64 with padding ("v1:5")', async () => Buffer.from('v1:5').toString('base64')],
      ['a real cursor with a trailing "="', async () => `${await realCursor()}=`],
      ['base64url of "v1:abc"', async () => b64('v1:abc')],
      ['base64url of "v2:5"', async () => b64('v2:5')],
      ['base64url of "v1:0"', async () => b64('v1:0')],
      ['base64url of "v1:-5"', async () => b64('v1:-5')],
      ['base64url of "v1:05"', async () => b64('v1:05')],
      ['base64url of "v1:5 "', async () => b64('v1:5 ')],
      ['base64url of "v1:1.5"', async () => b64('v1:1.5')],
      ['base64url of an id beyond bigint', async () => b64('v1:99999999999999999999')],
      ['base64url of an id beyond 2^53', async () => b64('v1:9007199254740993')],
      ['a 400-char string', async () => 'A'.repeat(400)],
      ['empty', async () => ''],
    ] as [string, () => Promise<string>][]) {
      it(`cursor: ${name} → 400 [cursor]`, async () => {
        await rejects(`?cursor=${encodeURIComponent(await make())}`, ['cursor']);
      });
    }

    for (const [search, fields] of [
      ['?foo=1', ['foo']],
      ['?SKU=sku-1', ['SKU']],
      ['?page=2', ['page']],
      ['?offset=10', ['offset']],
      ['?item_sku=sku-1', ['item_sku']],
      ['?foo=1&bar=2', ['foo', 'bar']],
      ['?foo=1&limit=0', ['foo', 'limit']],
      ['?sku=', ['sku']],
      ['?item_type=', ['item_type']],
      ['?store_uuid=', ['store_uuid']],
      ['?limit=', ['limit']],
      ['?sku=%20%20', ['sku']],
      ['?store_uuid=%09', ['store_uuid']],
      ['?store_uuid=bad!', ['store_uuid']],
      ['?store_uuid=st%C3%B6re', ['store_uuid']],
      [`?store_uuid=${'a'.repeat(65)}`, ['store_uuid']],
      ['?item_type=home%20goods', ['item_type']],
      [`?item_type=${'f'.repeat(65)}`, ['item_type']],
      ['?sku=a%00b', ['sku']],
      ['?sku=a%0Ab', ['sku']],
      ['?sku=a%7Fb', ['sku']],
      [`?sku=${'s'.repeat(129)}`, ['sku']],
      ['?sku=a&sku=b', ['sku']],
      ['?limit=1&limit=2', ['limit']],
      ['?sku=&item_type=&store_uuid=bad!&limit=0', ['sku', 'item_type', 'store_uuid', 'limit']],
    ] as [string, string[]][]) {
      it(`${search.length > 60 ? `${search.slice(0, 60)}…` : search} → 400 [${fields.join(', ')}]`, async () => {
        await rejects(search, fields);
      });
    }

    it('a bad cursor together with other bad parameters → all of them named', async () => {
      await rejects('?limit=0&cursor=garbage!', ['limit', 'cursor']);
    });

    it('bracket syntax (?sku[]=x, ?sku[a]=x) → 400', async () => {
      for (const search of ['?sku[]=sku-1', '?sku[a]=sku-1', '?limit[]=5']) {
        const reply = await send(app.url, `/api/warranties${search}`);
        assertError(reply, 400, 'VALIDATION_FAILED');
      }
    });
  });

  describe('GET /api/warranties/:id', () => {
    it('every warranty by id: 200, the Warranty object exactly as listed', async () => {
      for (const warranty of expected().filter((w) => !w.store_uuid.startsWith('bulk'))) {
        const reply = await send(app.url, `/api/warranties/${warranty.id}`);
        assert.equal(reply.status, 200, reply.text);
        assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
        assertWarrantyShape(reply.body);
        assert.deepEqual(reply.body, warranty);
      }
    });

    it('the Warranty object matches the contract’s example field by field (seeded furniture at 150.00)', async () => {
      const row = expected({ store_uuid: 'store-a', sku: 'sku-1' })[0];
      const reply = await send(app.url, `/api/warranties/${row.id}`);
      assert.deepEqual(
        { ...reply.body, id: 0, store_id: 0, created_at: '', updated_at: '' },
        {
          id: 0,
          store_id: 0,
          store_uuid: 'store-a',
          item_sku: 'sku-1',
          item_type: 'furniture',
          item_title: 'Sofa',
          item_cost: 150,
          warranty_price: 20,
          warranty_duration_months: 12,
          pricing_version: '2026-11-01',
          created_at: '',
          updated_at: '',
        },
      );
      assert.equal(reply.body.store_id, expected({ store_uuid: 'store-a' })[1].store_id, 'one store id per store');
    });

    it('money keeps its cents: 75.50 and 999.99 come back as 75.5 and 999.99', async () => {
      const stool = expected({ store_uuid: 'store-b', sku: 'sku-4' })[0];
      assert.equal((await send(app.url, `/api/warranties/${stool.id}`)).body.item_cost, 75.5);
      const phone = expected({ store_uuid: 'store-c', sku: 'sku-1' });
      const reply = await send(app.url, `/api/warranties/${phone[0].id}`);
      assert.equal(reply.body.item_cost, 999.99);
      // phones 12 months: 3.00 + 12 % of 999.99 = 122.9988 → 123.00
      assert.equal(reply.body.warranty_price, 123);
    });

    it('an unknown id → 404 NOT_FOUND', async () => {
      for (const id of [Math.max(...current.keys()) + 1, 999_999_999, 9_007_199_254_740_991]) {
        assertError(await send(app.url, `/api/warranties/${id}`), 404, 'NOT_FOUND');
      }
    });

    it('the id of a plan that was removed (duration no longer offered) → 404', async () => {
      assertError(await send(app.url, `/api/warranties/${removedId}`), 404, 'NOT_FOUND');
    });

    for (const id of [
      'abc',
      '0',
      '-1',
      '1.5',
      '1e3',
      '01',
      '0x1A',
      '%201',
      '1%20',
      '9007199254740992',
      '99999999999999999999',
      'null',
      '%00',
    ]) {
      it(`a malformed id (${JSON.stringify(decodeURIComponent(id))}) → 400 [id]`, async () => {
        assertError(await send(app.url, `/api/warranties/${id}`), 400, 'VALIDATION_FAILED', ['id']);
      });
    }
  });
});
