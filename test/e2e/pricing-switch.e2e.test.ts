/**
 * Two instances of the service on one database (two Nest apps in this process, each with its own pool,
 * catalog and listening connection): a version takes effect on both at its effective_from, a
 * publication or withdrawal on one reaches the other at once (LISTEN/NOTIFY), and what NOTIFY cannot
 * carry is caught up by the reload after a lost listening connection and by the periodic reload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type pg from 'pg';
import { send } from '../../harness/http-client.js';
import { createDatabase, eventually, serviceEnv, sleep, sqlClient, startApp, type TestApp } from '../support/test-env.js';
import { publish, quote, versionBody, withdraw } from '../support/pricing-support.js';

/** What version prices furniture at 150.00 for `storeUuid` on `app`. */
async function versionFor(app: TestApp, storeUuid: string): Promise<string> {
  const reply = await quote(app.url, { store_uuid: storeUuid, item_type: 'furniture', item_cost: 150 });
  assert.equal(reply.status, 200, reply.text);
  return reply.body.pricing_version;
}

/** A version written straight into the tables, without the NOTIFY a publication sends. */
async function insertSilently(sql: pg.Client, version: string, storeUuid: string): Promise<void> {
  await sql.query('BEGIN');
  const { rows } = await sql.query(
    `INSERT INTO pricing_version (version, effective_from, store_uuids) VALUES ($1, now(), $2) RETURNING id`,
    [version, [storeUuid]],
  );
  const type = await sql.query(
    `INSERT INTO pricing_item_type (version_id, item_type, min_cost, max_cost) VALUES ($1, 'furniture', 1, 1000) RETURNING id`,
    [rows[0].id],
  );
  await sql.query(`INSERT INTO pricing_plan (item_type_id, duration_months, base, rate_basis_points) VALUES ($1, 12, 1, 0)`, [
    type.rows[0].id,
  ]);
  await sql.query('COMMIT');
}

/** Milliseconds from `since` until `probe` holds (polled every 10 ms, up to `timeoutMs`), or undefined. */
async function msUntil(since: number, probe: () => Promise<boolean>, timeoutMs = 5_000): Promise<number | undefined> {
  return (await eventually(probe, timeoutMs, 10)) ? Date.now() - since : undefined;
}

describe('pricing versions on two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let sql: pg.Client;

  before(async () => {
    const databaseUrl = await createDatabase();
    // A reloads every 300 ms whatever it is told; B never on its own: it learns only by NOTIFY and after reconnecting.
    a = await startApp(serviceEnv(databaseUrl, undefined, { PRICING_RELOAD_INTERVAL_MS: '300' }));
    b = await startApp(serviceEnv(databaseUrl, undefined, { PRICING_RELOAD_INTERVAL_MS: '3600000' }));
    sql = await sqlClient(databaseUrl);
  });

  after(async () => {
    await sql?.end();
    await a?.close();
    await b?.close();
  });

  it('versions scheduled 2.5 s ahead: both instances quote by them within 1 s of effective_from, no restart; a store version changes that store only', async (t: TestContext) => {
    const at = Date.now() + 2_500;
    const effectiveFrom = new Date(at).toISOString();
    // The default on A, a version for store-s on B: each instance hears of the other's by NOTIFY.
    assert.equal((await publish(a.url, versionBody('switch-default', { effective_from: effectiveFrom }))).status, 201);
    const own = await publish(b.url, versionBody('switch-store', { effective_from: effectiveFrom, store_uuids: ['store-s'] }));
    assert.equal(own.status, 201, own.text);
    const expected: Record<string, string> = { 'store-s': 'switch-store', 'store-o': 'switch-default' };
    const seen: string[] = [];
    await Promise.all(
      [a, b].flatMap((app, instance) =>
        Object.keys(expected).map(async (storeUuid) => {
          const name = `instance ${instance ? 'B' : 'A'}, ${storeUuid}`;
          let latency: number | undefined;
          let sentAfter = 0;
          while (Date.now() < at + 1_500 && latency === undefined) {
            const sent = Date.now();
            const version = await versionFor(app, storeUuid);
            const received = Date.now();
            if (version === '2026-11-01')
              assert.ok(sent < at + 1_000, `${name}: still the old version ${sent - at} ms after effective_from`);
            else {
              assert.equal(version, expected[storeUuid], name);
              assert.ok(received >= at, `${name}: ${version} ${at - received} ms before effective_from`);
              latency = received - at;
              sentAfter = sent - at;
            }
            await sleep(at - Date.now() > 300 ? 100 : 5);
          }
          assert.ok(latency !== undefined && latency < 1_000, `${name}: switched ${latency} ms after effective_from`);
          seen.push(`${name}: answered +${latency} ms (request sent ${sentAfter >= 0 ? '+' : ''}${sentAfter} ms)`);
        }),
      ),
    );
    t.diagnostic(
      `switch latency after effective_from (first answer by the new version, request round trip included): ${seen.sort().join('; ')}`,
    );
    assert.equal((await send(b.url, '/api/pricing?store_uuid=store-o')).body.version, 'switch-default');
  });

  it('a publication on one instance reaches the other at once (NOTIFY; B has no periodic reload)', async (t: TestContext) => {
    const start = Date.now();
    assert.equal((await publish(a.url, versionBody('notified', { store_uuids: ['store-n'] }))).status, 201);
    const ms = await msUntil(start, async () => (await versionFor(b, 'store-n')) === 'notified');
    assert.ok(ms !== undefined && ms < 1_000, `B quoted the new version ${ms} ms after the publication began`);
    t.diagnostic(`publication on A → quoted on B: ${ms} ms (publish request included)`);
  });

  it('a withdrawal on one instance reaches the other at once', async () => {
    assert.equal((await publish(b.url, versionBody('to-withdraw', { effective_from: '2099-01-01T00:00:00Z' }))).status, 201);
    assert.equal((await send(b.url, '/api/pricing')).body.next?.version, 'to-withdraw');
    const start = Date.now();
    assert.equal((await withdraw(a.url, 'to-withdraw')).status, 204);
    const ms = await msUntil(start, async () => (await send(b.url, '/api/pricing')).body.next === null);
    assert.ok(ms !== undefined && ms < 1_000, `B still announced the withdrawn version ${ms} ms later`);
  });

  it('a lost listening connection: the instance reconnects and reloads what it missed', async () => {
    await insertSilently(sql, 'missed', 'store-m');
    assert.equal(await versionFor(b, 'store-m'), 'switch-default', 'B cannot know yet: no NOTIFY, no periodic reload');
    const { rowCount } = await sql.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'warranty-service listener'`,
    );
    assert.equal(rowCount, 2, 'one listening connection per instance');
    const ms = await msUntil(Date.now(), async () => (await versionFor(b, 'store-m')) === 'missed');
    assert.ok(ms !== undefined && ms < 3_000, `B caught up ${ms} ms after its connection was cut`);
    // And it listens again: the next publication arrives by NOTIFY.
    await eventually(
      async () => (await sql.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'warranty-service listener'`)).rowCount === 2,
    );
    assert.equal((await publish(a.url, versionBody('after-reconnect', { store_uuids: ['store-r'] }))).status, 201);
    assert.ok((await msUntil(Date.now(), async () => (await versionFor(b, 'store-r')) === 'after-reconnect', 1_000)) !== undefined);
  });

  it('the periodic reload catches what no notification announced', async () => {
    await insertSilently(sql, 'periodic', 'store-p');
    const ms = await msUntil(Date.now(), async () => (await versionFor(a, 'store-p')) === 'periodic');
    assert.ok(ms !== undefined && ms < 1_500, `A (reloading every 300 ms) caught up after ${ms} ms`);
  });
});
