/**
 * POST /api/warranties/batch (docs/contract/warranties.md; issue 11 part 2) on real PostgreSQL: one result per item in order,
 * each item validated, priced and saved on its own with the single POST's rules, the same SKU twice
 * (the later wins), a bad envelope writes nothing, one archive record for the request, 1 MiB bodies,
 * store keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, assertNothingWritten } from '../support/api-assertions.js';
import { send, type Reply } from '../../harness/http-client.js';
import { appWithDatabase } from '../support/test-env.js';

const item = (sku: string, overrides: Record<string, unknown> = {}) => ({
  item_type: 'furniture',
  item_sku: sku,
  item_cost: 150,
  item_title: `Sofa ${sku}`,
  ...overrides,
});

describe('POST /api/warranties/batch (real HTTP, real PostgreSQL)', () => {
  const fixture = appWithDatabase();
  const batch = (body: unknown, key?: string): Promise<Reply> =>
    send(fixture.app.url, '/api/warranties/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      key,
    });

  it('saves every item: 200 with one result per item, in order, each as a single POST would answer', async () => {
    const reply = await batch({
      store_uuid: 'batch-store',
      items: [item('b-1'), item('b-2', { item_type: 'electronics', item_cost: 999.99 })],
    });
    assert.equal(reply.status, 200, reply.text);
    const [first, second] = reply.body.results;
    assert.deepEqual([first.index, first.status, second.index, second.status], [0, 201, 1, 201]);
    assert.deepEqual(
      first.warranties.map((w: any) => [w.warranty_duration_months, w.warranty_price, w.store_uuid, w.item_sku]),
      [
        [12, 20, 'batch-store', 'b-1'],
        [24, 27, 'batch-store', 'b-1'],
      ],
    );
    assert.equal(second.warranties.length, 3);
    const single = await send(fixture.app.url, `/api/warranties?store_uuid=batch-store&sku=b-1`);
    assert.deepEqual(single.body.warranties, first.warranties, 'what GET returns is what the batch answered');

    const again = await batch({
      store_uuid: 'batch-store',
      items: [item('b-1'), item('b-2', { item_type: 'electronics', item_cost: 999.99 })],
    });
    assert.deepEqual(
      again.body.results.map((r: any) => r.status),
      [200, 200],
      'a re-sent batch is idempotent',
    );
    assert.deepEqual(again.body.results[0].warranties, first.warranties, 'same ids, same timestamps');
  });

  it('an invalid or ineligible item gets its own 400/422 result; the others are saved; nothing of the refused ones is written', async () => {
    const reply = await batch({
      store_uuid: 'batch-mixed',
      items: [
        item('m-1'),
        item('m-2', { item_cost: 1.234 }),
        item('m-3', { item_type: 'spaceships' }),
        'not an item',
        item('m-4', { color: 'red' }),
        item('m-5'),
      ],
    });
    assert.equal(reply.status, 200, reply.text);
    const statuses = reply.body.results.map((r: any) => [r.index, r.status]);
    assert.deepEqual(statuses, [
      [0, 201],
      [1, 400],
      [2, 422],
      [3, 400],
      [4, 400],
      [5, 201],
    ]);
    const errorOf = (index: number): Reply => ({
      status: reply.body.results[index].status,
      headers: reply.headers,
      text: JSON.stringify(reply.body.results[index].error),
      body: reply.body.results[index].error,
    });
    assertError(errorOf(1), 400, 'VALIDATION_FAILED', ['item_cost']);
    assertError(errorOf(2), 422, 'ITEM_NOT_ELIGIBLE', ['item_type']);
    assertError(errorOf(3), 400, 'VALIDATION_FAILED', ['body']);
    assertError(errorOf(4), 400, 'VALIDATION_FAILED', ['color']);
    const { rows } = await fixture.sql.query(
      `SELECT sku FROM item i JOIN store s ON s.id = i.store_id WHERE s.uuid = 'batch-mixed' ORDER BY sku`,
    );
    assert.deepEqual(
      rows.map((r) => r.sku),
      ['m-1', 'm-5'],
    );
  });

  it('the same SKU twice: both get results, the later one wins', async () => {
    const reply = await batch({
      store_uuid: 'batch-twice',
      items: [item('t-1', { item_cost: 150 }), item('t-1', { item_cost: 200, item_title: 'Later' })],
    });
    assert.equal(reply.status, 200, reply.text);
    const [first, second] = reply.body.results;
    assert.deepEqual([first.status, second.status], [201, 200]);
    assert.deepEqual(
      first.warranties.map((w: any) => w.warranty_price),
      [20, 27],
    );
    assert.deepEqual(
      second.warranties.map((w: any) => w.warranty_price),
      [25, 34],
    );
    assert.deepEqual(
      second.warranties.map((w: any) => w.id),
      first.warranties.map((w: any) => w.id),
      'the same plans (ids kept), repriced',
    );
    const { rows } = await fixture.sql.query(`SELECT cost::text, title FROM item WHERE sku = 't-1'`);
    assert.deepEqual(rows, [{ cost: '200.00', title: 'Later' }]);
  });

  it('one archive record for the request: the payload and the whole response', async () => {
    const payload = { store_uuid: 'batch-archive', items: [item('a-1'), item('a-2', { item_cost: -1 })] };
    const reply = await batch(payload);
    assert.equal(reply.status, 200);
    const { rows } = await fixture.sql.query(`SELECT object_key, document FROM archive_record WHERE document->>'request_id' = $1`, [
      reply.headers.get('x-request-id'),
    ]);
    assert.equal(rows.length, 1);
    assert.match(rows[0].object_key, /^warranties\/\d{4}\/\d{2}\/\d{2}\/batch-archive\/[0-9a-f-]{36}\.json$/);
    assert.deepEqual(rows[0].document.request, payload);
    assert.deepEqual(rows[0].document.response, { status: 200, body: reply.body });
  });

  for (const [name, body, fields] of [
    ['store_uuid missing', { items: [item('e-1')] }, ['store_uuid']],
    ['items missing', { store_uuid: 'batch-envelope' }, ['items']],
    ['items not an array', { store_uuid: 'batch-envelope', items: item('e-1') }, ['items']],
    ['no items', { store_uuid: 'batch-envelope', items: [] }, ['items']],
    ['501 items', { store_uuid: 'batch-envelope', items: Array.from({ length: 501 }, (_, i) => item(`e-${i}`)) }, ['items']],
    ['an extra field', { store_uuid: 'batch-envelope', items: [item('e-1')], dry_run: true }, ['dry_run']],
    ['a bad store_uuid', { store_uuid: 'not a store!', items: [item('e-1')] }, ['store_uuid']],
  ] as const) {
    it(`a bad envelope (${name}) → 400 naming it, nothing written`, async () => {
      const reply = await assertNothingWritten(fixture.sql, () => batch(body));
      assertError(reply, 400, 'VALIDATION_FAILED', fields);
    });
  }

  it('500 items in one request are saved; a body over 1 MiB is a 413', async () => {
    const items = Array.from({ length: 500 }, (_, i) => item(`big-${i}`, { item_cost: 100 + i }));
    const reply = await batch({ store_uuid: 'batch-500', items });
    assert.equal(reply.status, 200, reply.text.slice(0, 300));
    assert.equal(reply.body.results.length, 500);
    assert.ok(reply.body.results.every((r: any, i: number) => r.index === i && r.status === 201));
    const { rows } = await fixture.sql.query(
      `SELECT count(*)::int AS n FROM warranty w JOIN store s ON s.id = w.store_id WHERE s.uuid = 'batch-500'`,
    );
    assert.equal(rows[0].n, 1000);
    const huge = {
      store_uuid: 'batch-huge',
      items: Array.from({ length: 500 }, (_, i) => item(`huge-${i}`, { item_title: 'x'.repeat(2100) })),
    };
    assertError(await assertNothingWritten(fixture.sql, () => batch(huge)), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a store key may only submit for its own store: 403 STORE_MISMATCH, nothing written', async () => {
    const key = await fixture.app.issueKey({ kind: 'store', storeUuid: 'batch-own' });
    const reply = await assertNothingWritten(fixture.sql, () => batch({ store_uuid: 'batch-other', items: [item('k-1')] }, key));
    assertError(reply, 403, 'STORE_MISMATCH', ['store_uuid']);
    assert.equal((await batch({ store_uuid: 'batch-own', items: [item('k-1')] }, key)).status, 200);
  });
});
