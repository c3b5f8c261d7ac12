/**
 * What a submission did to its item (`change`: created, updated, unchanged — re-pricing included) and
 * GET /api/changes, the change feed: latest state once, oldest first, store-scoped, keyset cursor, strict
 * input. The race it must never lose (a transaction that began first and commits last):
 * change-feed-race.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { post, send, type Reply } from '../../harness/http-client.js';
import { publish, versionBody } from '../support/pricing-support.js';
import { appWithDatabase, eventually, SEED_PAYLOAD } from '../support/test-env.js';

const batch = (url: string, body: unknown, key?: string) =>
  send(url, '/api/warranties/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), key });

const changes = (url: string, query = '', key?: string) => send(url, `/api/changes${query ? `?${query}` : ''}`, { key });

/** Follows the feed of `query` from `cursor` until an empty page (or 30 s: the horizon waits for other tests' transactions). */
async function follow(
  url: string,
  cursor: string | undefined,
  query = '',
  key?: string,
  expect?: number,
): Promise<{ entries: any[]; cursor: string }> {
  const entries: any[] = [];
  let next = cursor;
  await eventually(
    async () => {
      for (;;) {
        const page = await changes(url, [query, next ? `cursor=${next}` : ''].filter(Boolean).join('&'), key);
        assert.equal(page.status, 200, page.text);
        entries.push(...page.body.changes);
        next = page.body.next_cursor;
        if (page.body.changes.length === 0) break;
      }
      return expect === undefined || entries.length >= expect;
    },
    30_000,
    50,
  );
  return { entries, cursor: next! };
}

const item = (sku: string, extra: Record<string, unknown> = {}) => ({ ...SEED_PAYLOAD, store_uuid: 'feed-store', item_sku: sku, ...extra });
const gist = (reply: Reply) => [reply.status, reply.body.change];

describe('change in every answer, and GET /api/changes (real HTTP, real PostgreSQL)', () => {
  const fixture = appWithDatabase();

  it('POST says created, unchanged or updated; the status keeps its own rule (201 when a plan was created)', async () => {
    const url = fixture.app.url;
    assert.deepEqual(gist(await post(url, item('c-1'))), [201, 'created']);
    assert.deepEqual(gist(await post(url, item('c-1'))), [200, 'unchanged']);
    assert.deepEqual(gist(await post(url, item('c-1', { item_title: 'Renamed' }))), [200, 'updated'], 'a field');
    assert.deepEqual(gist(await post(url, item('c-1', { item_title: 'Renamed', item_cost: 200 }))), [200, 'updated'], 'the plan set');
    assert.deepEqual(
      gist(await post(url, item('c-1', { item_title: 'Renamed', item_cost: 200, item_type: 'electronics' }))),
      [201, 'updated'],
      'a new duration',
    );
    assert.deepEqual(gist(await post(url, item('c-1', { item_title: 'Renamed', item_cost: 200, item_type: 'electronics' }))), [
      200,
      'unchanged',
    ]);
  });

  it('concurrent identical POSTs (group commits, lock-free repeats): exactly one created, then exactly one updated, the rest unchanged', async () => {
    const url = fixture.app.url;
    const tally = (replies: Reply[]) => {
      const counts: Record<string, number> = {};
      for (const reply of replies)
        counts[`${reply.status} ${reply.body.change}`] = (counts[`${reply.status} ${reply.body.change}`] ?? 0) + 1;
      return counts;
    };
    const many = (payload: object) => Promise.all(Array.from({ length: 40 }, () => post(url, payload)));
    assert.deepEqual(tally(await many(item('same-1'))), { '201 created': 1, '200 unchanged': 39 });
    assert.deepEqual(tally(await many(item('same-1', { item_cost: 400 }))), { '200 updated': 1, '200 unchanged': 39 });
  });

  it('re-pricing: a re-send under another version in force is updated (200), then unchanged; items not re-sent keep their plans', async () => {
    const url = fixture.app.url;
    const store = 'feed-reprice';
    const payload = { ...SEED_PAYLOAD, store_uuid: store, item_sku: 'r-1' };
    const first = await post(url, payload);
    const untouched = await post(url, { ...payload, item_sku: 'r-2' });
    assert.deepEqual([first.status, untouched.status], [201, 201]);
    // The store's own table: furniture 12 months only (the 24-month plan is no longer offered), published now.
    assert.equal((await publish(url, versionBody('feed-reprice-v2', { store_uuids: [store] }))).status, 201);
    const repriced = await post(url, payload);
    assert.deepEqual(gist(repriced), [200, 'updated']);
    assert.deepEqual(
      repriced.body.warranties.map((w: any) => [w.id, w.warranty_duration_months, w.warranty_price, w.pricing_version]),
      [[first.body.warranties[0].id, 12, 22, 'feed-reprice-v2']],
    );
    assert.deepEqual(gist(await post(url, payload)), [200, 'unchanged'], 'the same item under the same version');
    const { rows } = await fixture.sql.query(
      `SELECT w.duration_months, w.pricing_version FROM warranty w JOIN item i ON i.id = w.item_id WHERE i.sku = 'r-2' ORDER BY 1`,
    );
    assert.deepEqual(rows, [
      { duration_months: 12, pricing_version: '2026-11-01' },
      { duration_months: 24, pricing_version: '2026-11-01' },
    ]);
  });

  it('a batch says it per result: the same SKU twice is created then updated, an exact repeat unchanged', async () => {
    const reply = await batch(fixture.app.url, {
      store_uuid: 'feed-batch',
      items: [
        { ...item('b-1'), store_uuid: undefined },
        { ...item('b-1', { item_cost: 300 }), store_uuid: undefined },
        { ...item('b-1', { item_cost: 300 }), store_uuid: undefined },
        { ...item('b-2', { item_type: 'spaceships' }), store_uuid: undefined },
      ],
    });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(
      reply.body.results.map((result: any) => [result.status, result.change]),
      [
        [201, 'created'],
        [200, 'updated'],
        [200, 'unchanged'],
        [422, undefined],
      ],
    );
    const again = await batch(fixture.app.url, {
      store_uuid: 'feed-batch',
      items: [{ ...item('b-1', { item_cost: 300 }), store_uuid: undefined }],
    });
    assert.deepEqual(
      again.body.results.map((result: any) => [result.status, result.change]),
      [[200, 'unchanged']],
    );
  });

  it('the archive keeps the answer as sent: change, and the version that priced each plan', async () => {
    const reply = await post(fixture.app.url, item('archived-1'), { 'x-request-id': 'feed-archived-1' });
    assert.equal(reply.status, 201);
    let document: any;
    assert.ok(
      await eventually(async () => {
        const { rows } = await fixture.sql.query(`SELECT document FROM archive_record WHERE document->>'request_id' = 'feed-archived-1'`);
        document = rows[0]?.document;
        return document !== undefined;
      }),
    );
    assert.equal(document.response.body.change, 'created');
    assert.deepEqual(
      document.response.body.warranties.map((w: any) => w.pricing_version),
      ['2026-11-01', '2026-11-01'],
    );
    assert.deepEqual(document.response.body, reply.body);
  });

  it('the feed: each changed item once, in its latest state, oldest change first; unchanged re-sends never appear', async () => {
    const url = fixture.app.url;
    const store = 'feed-follow';
    const payload = (sku: string, extra: Record<string, unknown> = {}) => ({ ...SEED_PAYLOAD, store_uuid: store, item_sku: sku, ...extra });
    const start = await follow(url, undefined, `store_uuid=${store}`);
    assert.deepEqual(start.entries, []);
    await post(url, payload('f-1'));
    await post(url, payload('f-2'));
    await post(url, payload('f-1', { item_cost: 500 })); // f-1 moves after f-2
    await post(url, payload('f-2')); // unchanged: stays where it is
    const first = await follow(url, start.cursor, `store_uuid=${store}`, undefined, 2);
    assert.deepEqual(
      first.entries.map((entry) => [entry.item_sku, entry.change, entry.item_cost]),
      [
        ['f-2', 'created', 150],
        ['f-1', 'updated', 500],
      ],
    );
    const [f2, f1] = first.entries;
    assert.deepEqual(Object.keys(f1), [
      'change',
      'changed_at',
      'store_uuid',
      'item_sku',
      'item_type',
      'item_title',
      'item_cost',
      'pricing_version',
      'warranties',
    ]);
    assert.equal(f1.store_uuid, store);
    assert.equal(f1.pricing_version, '2026-11-01');
    assert.deepEqual(
      f1.warranties.map((w: any) => [w.warranty_duration_months, w.warranty_price, w.item_cost, w.store_uuid, w.item_sku]),
      [
        [12, 55, 500, store, 'f-1'],
        [24, 76, 500, store, 'f-1'],
      ],
    );
    assert.ok(Date.parse(f1.changed_at) >= Date.parse(f2.changed_at));

    // Nothing changed since: the same position, and an unchanged re-send does not move anything.
    await post(url, payload('f-1', { item_cost: 500 }));
    const idle = await changes(url, `store_uuid=${store}&cursor=${first.cursor}`);
    assert.deepEqual([idle.status, idle.body.changes, idle.body.next_cursor], [200, [], first.cursor]);

    // Changed twice between two polls: once, in its latest state; created and then updated: its latest change, updated.
    await post(url, payload('f-3'));
    await post(url, payload('f-3', { item_title: 'Once' }));
    await post(url, payload('f-3', { item_title: 'Twice' }));
    const second = await follow(url, first.cursor, `store_uuid=${store}`, undefined, 1);
    assert.deepEqual(
      second.entries.map((entry) => [entry.item_sku, entry.change, entry.item_title]),
      [['f-3', 'updated', 'Twice']],
    );
    // Created and changed again in one transaction (a batch): one change, which created it.
    await batch(url, {
      store_uuid: store,
      items: [
        { ...payload('f-4'), store_uuid: undefined },
        { ...payload('f-4', { item_cost: 99 }), store_uuid: undefined },
      ],
    });
    const third = await follow(url, second.cursor, `store_uuid=${store}`, undefined, 1);
    assert.deepEqual(
      third.entries.map((entry) => [entry.item_sku, entry.change, entry.item_cost]),
      [['f-4', 'created', 99]],
    );
  });

  it('pages by limit with next_cursor, and a reader from the beginning sees every item once', async () => {
    const url = fixture.app.url;
    const store = 'feed-pages';
    for (let i = 0; i < 7; i++) await post(url, { ...SEED_PAYLOAD, store_uuid: store, item_sku: `p-${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    await eventually(async () => {
      for (;;) {
        const page = await changes(url, `store_uuid=${store}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200);
        assert.ok(page.body.changes.length <= 3);
        assert.equal(typeof page.body.next_cursor, 'string');
        seen.push(...page.body.changes.map((entry: any) => entry.item_sku));
        cursor = page.body.next_cursor;
        if (page.body.changes.length === 0) return seen.length >= 7;
      }
    });
    assert.deepEqual(seen, ['p-0', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6']);
  });

  it('a store key sees its own store only; another store’s filter is 403 STORE_MISMATCH; an admin key sees every store', async () => {
    const url = fixture.app.url;
    await post(url, { ...SEED_PAYLOAD, store_uuid: 'feed-own', item_sku: 'own-1' });
    await post(url, { ...SEED_PAYLOAD, store_uuid: 'feed-other', item_sku: 'other-1' });
    const key = await fixture.app.issueKey({ kind: 'store', storeUuid: 'feed-own' });
    const own = await follow(url, undefined, '', key, 1);
    assert.deepEqual(
      own.entries.map((entry) => [entry.store_uuid, entry.item_sku]),
      [['feed-own', 'own-1']],
    );
    assert.equal((await changes(url, 'store_uuid=feed-own', key)).status, 200);
    const mismatch = await changes(url, 'store_uuid=feed-other', key);
    assert.equal(mismatch.status, 403);
    assert.equal(mismatch.body.code, 'STORE_MISMATCH');
    assert.deepEqual(mismatch.body.details, [{ field: 'store_uuid', message: "must be this key's store (feed-own)" }]);
    const all = await follow(url, undefined, '', undefined, 2);
    const stores = new Set(all.entries.map((entry) => entry.store_uuid));
    assert.ok(stores.has('feed-own') && stores.has('feed-other'), 'an admin key: every store');
    assert.deepEqual((await follow(url, undefined, 'store_uuid=no-such-store')).entries, []);
  });

  it('refuses what it did not issue, unknown parameters and bad limits with 400 naming them', async () => {
    const url = fixture.app.url;
    const warrantiesCursor = Buffer.from('v1:42').toString('base64url');
    const cases: [string, string][] = [
      ['cursor=nope', 'cursor'],
      [`cursor=${warrantiesCursor}`, 'cursor'],
      [`cursor=${Buffer.from('c1:01:2').toString('base64url')}`, 'cursor'],
      [`cursor=${Buffer.from('c1:18446744073709551616:2').toString('base64url')}`, 'cursor'],
      ['cursor=', 'cursor'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['since=1', 'since'],
      ['store_uuid=bad%20store', 'store_uuid'],
    ];
    for (const [query, field] of cases) {
      const reply = await changes(url, query);
      assert.equal(reply.status, 400, query);
      assert.equal(reply.body.code, 'VALIDATION_FAILED', query);
      assert.deepEqual(
        reply.body.details.map((detail: any) => detail.field),
        [field],
        query,
      );
    }
    assert.equal((await send(url, '/api/changes', { key: null })).status, 401);
  });
});
