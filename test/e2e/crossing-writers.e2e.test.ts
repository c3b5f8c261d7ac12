/**
 * Writers that cross on the same items (issue 15, part 2), against the service process on real
 * PostgreSQL: two batches of one store that touch the same items in opposite orders across their
 * rounds, and a mixed load of batches and single POSTs over a few SKUs. Contention is the service's
 * problem: no answer is a 5xx, and every write is stored as answered.
 * CROSSING_WRITERS_SECONDS sets the mixed load's length (default 5 s; the figures in the README are
 * from 20 s: `CROSSING_WRITERS_SECONDS=20 npm test -- dist/test/e2e/crossing-writers.e2e.test.js`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { post, send, type Reply } from '../../harness/http-client.js';
import { sample } from '../../harness/metrics-sample.js';
import { startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import { createDatabase, serviceEnv, sqlClient } from '../support/test-env.js';

const LOAD_SECONDS = Number(process.env.CROSSING_WRITERS_SECONDS ?? 5);
const SKUS = Array.from({ length: 10 }, (_, i) => `sku-${i}`);

const entry = (sku: string, cost: number, title = `Sofa ${sku}`) => ({
  item_type: 'furniture',
  item_sku: sku,
  item_cost: cost,
  item_title: title,
});
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)];
/** A cost every time different enough to change the plans' prices. */
const randomCost = () => 100 + Math.floor(Math.random() * 900);

/** Statuses counted by class of request, e.g. `{ batch: { 200: 310 }, post: { 201: 12, 200: 3000 } }`. */
type Tally = Record<string, Record<number, number>>;
const count = (tally: Tally, kind: string, status: number) => ((tally[kind] ??= {})[status] = (tally[kind][status] ?? 0) + 1);
const serverErrors = (tally: Tally) =>
  Object.entries(tally).flatMap(([kind, statuses]) =>
    Object.entries(statuses)
      .filter(([status]) => Number(status) >= 500)
      .map(([status, n]) => `${n} × ${status} (${kind})`),
  );

describe('crossing writers: no 5xx for contention (service process, real PostgreSQL)', () => {
  let service: ServiceProcess;
  let sql: pg.Client;
  const batch = (store: string, items: unknown[]): Promise<Reply> =>
    send(service.url, '/api/warranties/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ store_uuid: store, items }),
      timeoutMs: 30_000,
    });

  const retries = async () => sample((await send(service.url, '/metrics')).text, 'warranty_write_retries_total', { reason: 'deadlock' });

  before(async () => {
    const databaseUrl = await createDatabase();
    service = await startServiceProcess(serviceEnv(databaseUrl));
    sql = await sqlClient(databaseUrl);
  });
  after(async () => {
    await sql?.end();
    await service?.stop('SIGTERM', 10_000);
  });

  it('[A as stored, B changed, A changed] and [B as stored, A changed, B changed] at once, 60 times: every answer 200, stored as answered', async () => {
    const tally: Tally = {};
    for (let i = 0; i < 60; i++) {
      const store = `pair-${i}`;
      assert.equal((await batch(store, [entry('A', 100), entry('B', 100)])).status, 200);
      const replies = await Promise.all([
        batch(store, [entry('A', 100), entry('B', 200 + i), entry('A', 300 + i)]),
        batch(store, [entry('B', 100), entry('A', 400 + i), entry('B', 500 + i)]),
      ]);
      for (const reply of replies) count(tally, 'batch', reply.status);
      if (replies.some((reply) => reply.status !== 200)) continue;
      // Whichever committed last decided each item: the stored cost is that batch's last word on it.
      const { rows } = await sql.query<{ sku: string; cost: string }>(
        `SELECT i.sku, i.cost::int::text AS cost FROM item i JOIN store s ON s.id = i.store_id WHERE s.uuid = $1 ORDER BY i.sku`,
        [store],
      );
      const stored = Object.fromEntries(rows.map((row) => [row.sku, Number(row.cost)]));
      assert.ok([300 + i, 400 + i].includes(stored.A), `A stored as one batch's last word: ${JSON.stringify(stored)}`);
      assert.ok([200 + i, 500 + i].includes(stored.B), `B stored as one batch's last word: ${JSON.stringify(stored)}`);
    }
    console.log(`crossing batch pairs: ${JSON.stringify(tally)}`);
    assert.deepEqual(serverErrors(tally), [], JSON.stringify(tally));
    assert.equal(await retries(), 0, 'no deadlock: writers took their locks in one order (the retries are a safety net)');
  });

  it(`batches of 20 over 10 SKUs from 8 clients, single POSTs of the same SKUs and unrelated POSTs for ${LOAD_SECONDS} s: no 5xx`, async () => {
    const store = 'crossing-load';
    const tally: Tally = {};
    const deadline = Date.now() + LOAD_SECONDS * 1000;
    const loop = async (kind: string, request: () => Promise<Reply>) => {
      while (Date.now() < deadline) {
        const reply = await request();
        count(tally, kind, reply.status);
        if (reply.status >= 500) console.log(`${kind} → ${reply.status} ${reply.text}`);
      }
    };
    let unrelated = 0;
    await Promise.all([
      ...Array.from({ length: 8 }, () =>
        loop('batch', () =>
          batch(
            store,
            Array.from({ length: 20 }, () => entry(pick(SKUS), pick([150, 150, randomCost()]))),
          ),
        ),
      ),
      ...Array.from({ length: 4 }, () =>
        loop('post', () => post(service.url, { store_uuid: store, ...entry(pick(SKUS), pick([150, 150, randomCost()])) }, {}, 30_000)),
      ),
      ...Array.from({ length: 2 }, () =>
        loop('unrelated post', () => post(service.url, { store_uuid: 'crossing-other', ...entry(`u-${unrelated++}`, 150) }, {}, 30_000)),
      ),
    ]);
    console.log(`crossing load (${LOAD_SECONDS} s): ${JSON.stringify(tally)}`);
    assert.ok((tally.batch?.[200] ?? 0) > 0 && (tally.post?.[200] ?? 0) + (tally.post?.[201] ?? 0) > 0, JSON.stringify(tally));
    assert.deepEqual(serverErrors(tally), [], JSON.stringify(tally));
    // Each item's plan set is the one its stored fields price: re-sent as stored, it is answered as stored, nothing rewritten.
    for (const sku of SKUS) {
      const stored = (await send(service.url, `/api/warranties?store_uuid=${store}&sku=${sku}`)).body.warranties;
      if (stored.length === 0) continue;
      const { item_type, item_cost, item_title } = stored[0];
      const again = await post(service.url, { store_uuid: store, item_sku: sku, item_type, item_cost, item_title });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.body.warranties, stored, `${sku}: stored plans are the stored item's`);
    }
    assert.equal(await retries(), 0, 'no deadlock: writers took their locks in one order (the retries are a safety net)');
  });
});
