import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appWithDatabase, SEED_PAYLOAD } from '../support/test-env.js';
import { post } from '../../harness/http-client.js';

describe('POST /api/warranties (real HTTP, real PostgreSQL)', () => {
  const fixture = appWithDatabase();

  it('prices the seed example: furniture at 150.00 → 12 months 20.00, 24 months 27.00 (201)', async () => {
    const response = await post(fixture.app.url, SEED_PAYLOAD);
    assert.equal(response.status, 201);
    const plans = response.body.warranties;
    assert.deepEqual(
      plans.map((w: any) => [w.warranty_duration_months, w.warranty_price]),
      [
        [12, 20],
        [24, 27],
      ],
    );
    for (const plan of plans) {
      assert.equal(plan.store_uuid, SEED_PAYLOAD.store_uuid);
      assert.equal(plan.item_sku, SEED_PAYLOAD.item_sku);
      assert.equal(plan.item_type, 'furniture');
      assert.equal(plan.item_title, SEED_PAYLOAD.item_title);
      assert.equal(plan.item_cost, 150);
      assert.equal(plan.pricing_version, '2026-11-01');
      assert.equal(typeof plan.id, 'number');
      assert.equal(typeof plan.store_id, 'number');
      assert.match(plan.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    assert.ok(response.headers.get('x-request-id'));
  });

  it('answers 200 on a re-send, with the same ids and no duplicate rows', async () => {
    const first = await post(fixture.app.url, { ...SEED_PAYLOAD, item_sku: 'resend-1' });
    const second = await post(fixture.app.url, { ...SEED_PAYLOAD, item_sku: 'resend-1' });
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    assert.deepEqual(
      second.body.warranties.map((w: any) => w.id),
      first.body.warranties.map((w: any) => w.id),
    );
    const { rows } = await fixture.sql.query(
      `SELECT count(*)::int AS n FROM warranty w JOIN item i ON i.id = w.item_id WHERE i.sku = 'resend-1'`,
    );
    assert.equal(rows[0].n, 2);
  });

  it('replaces the plan set when the cost changes: kept durations keep their id, prices follow', async () => {
    const first = await post(fixture.app.url, { ...SEED_PAYLOAD, item_sku: 'reprice-1' });
    const second = await post(fixture.app.url, { ...SEED_PAYLOAD, item_sku: 'reprice-1', item_cost: 200 });
    assert.equal(second.status, 200);
    assert.deepEqual(
      second.body.warranties.map((w: any) => [w.id, w.warranty_price]),
      [
        [first.body.warranties[0].id, 25],
        [first.body.warranties[1].id, 34],
      ],
    );
    assert.equal(second.body.warranties[0].item_cost, 200);
  });

  it('removes plans whose duration is no longer offered and creates new ones (201)', async () => {
    const asElectronics = await post(fixture.app.url, { ...SEED_PAYLOAD, item_sku: 'retype-1', item_type: 'electronics' });
    assert.deepEqual(
      asElectronics.body.warranties.map((w: any) => w.warranty_duration_months),
      [12, 24, 36],
    );
    const asFurniture = await post(fixture.app.url, { ...SEED_PAYLOAD, item_sku: 'retype-1' });
    assert.equal(asFurniture.status, 200);
    assert.deepEqual(
      asFurniture.body.warranties.map((w: any) => w.warranty_duration_months),
      [12, 24],
    );
    const { rows } = await fixture.sql.query(
      `SELECT w.duration_months, w.item_type FROM warranty w JOIN item i ON i.id = w.item_id WHERE i.sku = 'retype-1' ORDER BY 1`,
    );
    assert.deepEqual(rows, [
      { duration_months: 12, item_type: 'furniture' },
      { duration_months: 24, item_type: 'furniture' },
    ]);
    const back = await post(fixture.app.url, { ...SEED_PAYLOAD, item_sku: 'retype-1', item_type: 'electronics' });
    assert.equal(back.status, 201, '36-month plan is created again');
  });

  it('keeps SKUs per store: the same SKU in two stores is two items', async () => {
    const a = await post(fixture.app.url, { ...SEED_PAYLOAD, store_uuid: 'store-a', item_sku: 'shared-sku' });
    const b = await post(fixture.app.url, { ...SEED_PAYLOAD, store_uuid: 'store-b', item_sku: 'shared-sku' });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.body.warranties[0].store_id, b.body.warranties[0].store_id);
  });

  it('normalises fields: trims strings, lower-cases item_type', async () => {
    const response = await post(fixture.app.url, {
      store_uuid: '  trim-store ',
      item_type: ' FurNiture ',
      item_sku: ' sku-trim ',
      item_cost: 99.99,
      item_title: '  Chair ',
    });
    assert.equal(response.status, 201);
    const plan = response.body.warranties[0];
    assert.equal(plan.store_uuid, 'trim-store');
    assert.equal(plan.item_type, 'furniture');
    assert.equal(plan.item_sku, 'sku-trim');
    assert.equal(plan.item_title, 'Chair');
    assert.equal(plan.item_cost, 99.99);
  });

  it('stores text exactly, quotes and backslashes included', async () => {
    const title = `O'Brien's "Deluxe" \\ sofa; DROP TABLE store; -- ?`;
    const response = await post(fixture.app.url, { ...SEED_PAYLOAD, item_sku: `sku'"\\?`, item_title: title });
    assert.equal(response.status, 201);
    const { rows } = await fixture.sql.query('SELECT title, sku FROM item WHERE id = (SELECT item_id FROM warranty WHERE id = $1)', [
      response.body.warranties[0].id,
    ]);
    assert.deepEqual(rows[0], { title, sku: `sku'"\\?` });
  });

  it('keeps money exact: no float drift on the wire or in the table', async () => {
    const response = await post(fixture.app.url, {
      ...SEED_PAYLOAD,
      item_sku: 'money-1',
      item_type: 'electronics',
      item_cost: 333.33,
    });
    assert.equal(response.status, 201);
    const prices = response.body.warranties.map((w: any) => w.warranty_price);
    // 3.00 + 9 % of 333.33 = 32.9997 → 33.00; 5.00 + 15 % = 54.9995 → 55.00; 7.00 + 20 % = 73.666 → 73.67
    assert.deepEqual(prices, [33, 55, 73.67]);
    const { rows } = await fixture.sql.query(
      `SELECT price::text FROM warranty w JOIN item i ON i.id = w.item_id WHERE i.sku = 'money-1' ORDER BY duration_months`,
    );
    assert.deepEqual(
      rows.map((r) => r.price),
      ['33.00', '55.00', '73.67'],
    );
  });

  it('survives 100 identical first-time POSTs at once: one 201, 99 × 200, one store, one item, one row per plan', async () => {
    const payload = { ...SEED_PAYLOAD, store_uuid: 'race-store', item_sku: 'race-sku' };
    const responses = await Promise.all(Array.from({ length: 100 }, () => post(fixture.app.url, payload)));
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, `exactly one 201 (the one that created the plans): ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 200).length, 99, `the rest 200: ${statuses.join(',')}`);
    const counts = await fixture.sql.query(`
      SELECT (SELECT count(*)::int FROM store WHERE uuid = 'race-store') AS stores,
             (SELECT count(*)::int FROM item WHERE sku = 'race-sku') AS items,
             (SELECT count(*)::int FROM warranty w JOIN item i ON i.id = w.item_id WHERE i.sku = 'race-sku') AS plans,
             (SELECT count(*)::int FROM archive_record WHERE document->'request'->>'item_sku' = 'race-sku') AS records`);
    assert.deepEqual(counts.rows[0], { stores: 1, items: 1, plans: 2, records: 100 });
    const ids = new Set(responses.flatMap((r) => r.body.warranties.map((w: any) => w.id)));
    assert.equal(ids.size, 2);
  });

  it('answers 500 identical first-time POSTs at the same instant: one 201, the rest 200, no 503', async () => {
    const payload = { ...SEED_PAYLOAD, store_uuid: 'burst-store', item_sku: 'burst-sku' };
    const started = performance.now();
    const responses = await Promise.all(Array.from({ length: 500 }, () => post(fixture.app.url, payload, {}, 30_000)));
    const ms = Math.round(performance.now() - started);
    const counts = new Map<number, number>();
    for (const { status } of responses) counts.set(status, (counts.get(status) ?? 0) + 1);
    const summary = [...counts].map(([status, n]) => `${n}×${status}`).join(', ');
    assert.deepEqual(Object.fromEntries(counts), { 201: 1, 200: 499 }, `statuses: ${summary} in ${ms} ms`);
    const { rows } = await fixture.sql.query(`
      SELECT (SELECT count(*)::int FROM item WHERE sku = 'burst-sku') AS items,
             (SELECT count(*)::int FROM warranty w JOIN item i ON i.id = w.item_id WHERE i.sku = 'burst-sku') AS plans,
             (SELECT count(*)::int FROM archive_record WHERE document->'request'->>'item_sku' = 'burst-sku') AS records`);
    assert.deepEqual(rows[0], { items: 1, plans: 2, records: 500 }, `one item, one plan set, one record per POST (${ms} ms)`);
  });

  it('a re-send of an unchanged item moves no updated_at (item, plans); a change moves exactly what changed', async () => {
    const payload = { ...SEED_PAYLOAD, store_uuid: 'stamp-store', item_sku: 'stamp-sku' };
    const stamps = async () => {
      const { rows } = await fixture.sql.query(
        `SELECT i.updated_at AS item, w.duration_months, w.updated_at AS plan, w.created_at AS plan_created
         FROM item i JOIN warranty w ON w.item_id = i.id WHERE i.sku = 'stamp-sku' ORDER BY w.duration_months`,
      );
      return {
        item: rows[0].item.toISOString(),
        plans: rows.map((r) => [r.duration_months, r.plan.toISOString(), r.plan_created.toISOString()]),
      };
    };
    assert.equal((await post(fixture.app.url, payload)).status, 201);
    const created = await stamps();
    await new Promise((resolve) => setTimeout(resolve, 20)); // now() moves on between transactions
    const resent = await post(fixture.app.url, payload);
    assert.equal(resent.status, 200);
    assert.deepEqual(await stamps(), created, 'an unchanged re-send leaves every updated_at as it was');
    assert.deepEqual(
      resent.body.warranties.map((w: any) => w.updated_at),
      created.plans.map(([, updated]) => updated),
      'and answers with the same timestamps',
    );

    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await post(fixture.app.url, { ...payload, item_title: 'Renamed sofa' })).status, 200);
    const retitled = await stamps();
    assert.ok(retitled.item > created.item, `a new title moves the item's updated_at (${created.item} → ${retitled.item})`);
    assert.deepEqual(retitled.plans, created.plans, 'the plans (same prices) keep theirs');

    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await post(fixture.app.url, { ...payload, item_title: 'Renamed sofa', item_cost: 200 })).status, 200);
    const repriced = await stamps();
    assert.ok(repriced.item > retitled.item, "a new cost moves the item's updated_at");
    for (const [i, [months, updated, createdAt]] of repriced.plans.entries()) {
      assert.ok(updated > retitled.plans[i][1], `the ${months}-month plan's price changed, so did its updated_at`);
      assert.equal(createdAt, created.plans[i][2], 'created_at stays');
    }
  });

  it('survives 50 different items of one new store at once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(fixture.app.url, { ...SEED_PAYLOAD, store_uuid: 'race-store-2', item_sku: `sku-${i}` })),
    );
    assert.ok(responses.every((r) => r.status === 201));
    const { rows } = await fixture.sql.query(`SELECT count(*)::int AS n FROM store WHERE uuid = 'race-store-2'`);
    assert.equal(rows[0].n, 1);
  });
});
