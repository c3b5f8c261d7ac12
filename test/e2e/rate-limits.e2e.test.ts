/**
 * Rate limits (docs/contract/access.md#rate-limits; issue 19 parts 1 and 3) on real PostgreSQL through real HTTP: a key's
 * budget in the RateLimit-* headers of every /api answer (4xx after the gate included, none before it);
 * over it 429 RATE_LIMITED with Retry-After, before the body is read, nothing written; a batch costs 1;
 * admin keys unlimited unless given a budget; budget changes within the cache TTL; refusals decided in
 * memory (leases counted on /metrics); a database outage served from each instance's own share, never 503.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { prefixFrom } from '../../src/access/api-key.js';
import { ApiKeysService } from '../../src/access/api-keys.service.js';
import { MAX_HELD_REFUSALS } from '../../src/access/access.gate.js';
import { sample } from '../../harness/metrics-sample.js';
import { post, send, type Reply } from '../../harness/http-client.js';
import { assertError, snapshot } from '../support/api-assertions.js';
import { createDatabase, eventually, SEED_PAYLOAD, serviceEnv, sqlClient, startApp, type TestApp } from '../support/test-env.js';
import { TcpProxy, withPort } from '../support/tcp-proxy.js';

const STORE = 'rl-store';
const item = (sku: string) => ({ ...SEED_PAYLOAD, store_uuid: STORE, item_sku: sku });

/** The three RateLimit-* headers as numbers; undefined when the answer has none. */
function budgetHeaders(reply: Reply): { limit: number; remaining: number; reset: number } | undefined {
  const [limit, remaining, reset] = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'].map((name) => reply.headers.get(name));
  if (limit === null && remaining === null && reset === null) return undefined;
  for (const value of [limit, remaining, reset])
    assert.match(value ?? '', /^\d+$/, `RateLimit-* are whole numbers: ${limit} ${remaining} ${reset}`);
  return { limit: Number(limit), remaining: Number(remaining), reset: Number(reset) };
}

function assertRateLimited(reply: Reply, burst: number): void {
  assertError(reply, 429, 'RATE_LIMITED');
  assert.match(reply.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'Retry-After: whole seconds, at least 1');
  const headers = budgetHeaders(reply);
  assert.ok(headers, 'a 429 carries RateLimit-*');
  assert.equal(headers.limit, burst);
  assert.equal(headers.remaining, 0);
  assert.ok(headers.reset >= 1, `RateLimit-Reset ${headers.reset}`);
}

async function metrics(app: TestApp): Promise<string> {
  return (await send(app.url, '/metrics', { key: null })).text;
}

describe('rate limits (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let sql: pg.Client;

  before(async () => {
    const databaseUrl = await createDatabase();
    // A small default for store keys, so that a test drains it in a few requests; budget changes bite within 0.5 s;
    // 429s sent at once (the hold has its own test below: held, each refusal would give the bucket time to refill).
    app = await startApp(
      serviceEnv(databaseUrl, undefined, {
        RATE_LIMIT_RATE: '1',
        RATE_LIMIT_BURST: '5',
        API_KEY_CACHE_TTL_MS: '500',
        RATE_LIMIT_HOLD_MS: '0',
      }),
    );
    sql = await sqlClient(databaseUrl);
  });

  after(async () => {
    await sql?.end();
    await app?.close();
  });

  it('a store key: RateLimit-* on every answer; over budget 429 RATE_LIMITED with Retry-After, before the body is read, nothing written', async () => {
    const key = await app.issueKey({ kind: 'store', storeUuid: STORE, budget: { rate: 1, burst: 3 } });
    const before = sample(await metrics(app), 'rate_limited_total', { kind: 'store' });
    const started = Date.now();
    const answers: Reply[] = [];
    for (let i = 0; i < 20; i++) {
      const reply = await send(app.url, '/api/warranties?limit=1', { key });
      answers.push(reply);
      if (reply.status === 429) break;
    }
    const accepted = answers.filter((reply) => reply.status === 200);
    // The burst, and at most one more per second the loop took (the bucket refills at 1/s).
    assert.ok(accepted.length >= 3 && accepted.length <= 3 + Math.ceil((Date.now() - started) / 1000), `${accepted.length} accepted`);
    assert.deepEqual(budgetHeaders(accepted[0]), { limit: 3, remaining: 2, reset: 1 });
    for (const reply of accepted) assert.equal(budgetHeaders(reply)?.limit, 3);
    assertRateLimited(answers.at(-1)!, 3);

    // Refused before the body is read (a malformed or oversized body is not even looked at), and nothing is written.
    // The bucket refills 1 a second: on a loaded machine a token may come back before these arrive; then drain and send again.
    let refusals = 1;
    let refused: Reply[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const unchanged = await snapshot(sql);
      for (let drained = false; !drained;) {
        drained = (await send(app.url, '/api/warranties?limit=1', { key })).status === 429;
        if (drained) refusals++;
      }
      refused = await Promise.all([
        post(app.url, item(`limited-${attempt}`), { authorization: `Bearer ${key}` }),
        post(app.url, '{"store_uuid": ', { authorization: `Bearer ${key}` }),
        post(app.url, 'x'.repeat(100_000), { authorization: `Bearer ${key}` }),
        send(app.url, '/api/warranties/batch', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ store_uuid: STORE, items: [item(`limited-batch-${attempt}`)] }),
          key,
        }),
      ]);
      refusals += refused.filter((reply) => reply.status === 429).length;
      if (refused.every((reply) => reply.status === 429)) {
        assert.deepEqual(await snapshot(sql), unchanged, 'a refused request changed the database');
        break;
      }
    }
    for (const reply of refused) assertRateLimited(reply, 3);
    const counted = sample(await metrics(app), 'rate_limited_total', { kind: 'store' }) - before;
    assert.equal(counted, refusals, 'every 429 counted under the key kind');
  });

  it('answers decided after the key carry RateLimit-* (404, 400, 403); a 401 does not', async () => {
    const key = await app.issueKey({ kind: 'store', storeUuid: STORE, budget: { rate: 50, burst: 100 } });
    for (const [path, status] of [
      ['/api/nope', 404],
      ['/api/warranties?limit=0', 400],
      ['/api/warranties?store_uuid=another-store', 403],
    ] as const) {
      const reply = await send(app.url, path, { key });
      assert.equal(reply.status, status, reply.text);
      assert.equal(budgetHeaders(reply)?.limit, 100, `${path}: RateLimit-Limit`);
    }
    const stranger = await send(app.url, '/api/warranties', { key: null });
    assert.equal(stranger.status, 401);
    assert.equal(budgetHeaders(stranger), undefined);
  });

  it('a batch costs 1, whatever its size', async () => {
    const key = await app.issueKey({ kind: 'store', storeUuid: STORE, budget: { rate: 1, burst: 3 } });
    const items = Array.from({ length: 20 }, (_, i) => item(`batch-cost-${i}`));
    const reply = await send(app.url, '/api/warranties/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ store_uuid: STORE, items }),
      key,
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(budgetHeaders(reply)?.remaining, 2, 'one token for 20 items');
  });

  it('admin keys are unlimited (no RateLimit-*) unless given a budget; a store key without one gets RATE_LIMIT_*', async () => {
    const unlimited = await Promise.all(Array.from({ length: 20 }, () => send(app.url, '/api/warranties?limit=1')));
    for (const reply of unlimited) {
      assert.equal(reply.status, 200);
      assert.equal(budgetHeaders(reply), undefined);
    }
    const budgeted = await app.issueKey({ kind: 'admin', budget: { rate: 1, burst: 2 } });
    const started = Date.now();
    const admin = await Promise.all(Array.from({ length: 8 }, () => send(app.url, '/api/warranties?limit=1', { key: budgeted })));
    const accepted = admin.filter((reply) => reply.status === 200).length;
    assert.ok(accepted >= 2 && accepted <= 2 + Math.ceil((Date.now() - started) / 1000), admin.map((r) => r.status).join(' '));
    for (const reply of admin.filter((r) => r.status === 429)) assertRateLimited(reply, 2);
    assert.equal(sample(await metrics(app), 'rate_limited_total', { kind: 'admin' }), 8 - accepted);

    const store = await app.issueKey({ kind: 'store', storeUuid: STORE });
    const first = await send(app.url, '/api/warranties?limit=1', { key: store });
    assert.deepEqual(budgetHeaders(first), { limit: 5, remaining: 4, reset: 1 }, 'RATE_LIMIT_BURST=5, RATE_LIMIT_RATE=1');
  });

  it('a budget given, changed or taken away later bites within API_KEY_CACHE_TTL_MS', async () => {
    const key = await app.issueKey({ kind: 'store', storeUuid: STORE });
    const prefix = prefixFrom(key)!;
    const keys = app.app.get(ApiKeysService);
    const limitNow = async () => budgetHeaders(await send(app.url, '/api/pricing', { key }))?.limit;
    assert.equal(await limitNow(), 5);
    assert.ok(await keys.setBudget(prefix, { rate: 30, burst: 40 }));
    assert.ok(await eventually(async () => (await limitNow()) === 40, 5000, 100), 'the new budget');
    assert.ok(await keys.setBudget(prefix, null));
    assert.ok(await eventually(async () => (await limitNow()) === 5, 5000, 100), 'back to the default');
    assert.equal(await keys.setBudget('wsk_store_000000000000', { rate: 1, burst: 1 }), false, 'no such key');
    await assert.rejects(keys.setBudget(prefix, { rate: 0, burst: 1 }), /rate must be an integer from 1/);
  });

  it('refusals are decided in memory: a flooding key costs a few leases a second, not one per request', async () => {
    const key = await app.issueKey({ kind: 'store', storeUuid: STORE, budget: { rate: 1, burst: 2 } });
    const rounds = async () => sample(await metrics(app), 'rate_limit_lease_rounds_total', { outcome: 'ok' });
    // Drain it first (its first requests lease).
    await Promise.all(Array.from({ length: 4 }, () => send(app.url, '/api/pricing', { key })));
    const before = await rounds();
    const started = Date.now();
    let refused = 0;
    for (let wave = 0; wave < 10; wave++) {
      const replies = await Promise.all(Array.from({ length: 20 }, () => send(app.url, '/api/pricing', { key })));
      refused += replies.filter((reply) => reply.status === 429).length;
    }
    const seconds = (Date.now() - started) / 1000;
    const leases = (await rounds()) - before;
    assert.ok(refused >= 200 - 2 * Math.ceil(seconds), `${refused} of 200 refused in ${seconds} s`);
    // An emptied bucket is asked again once it should hold a token (1/s here), plus the odd prefetch.
    assert.ok(leases <= 2 * Math.ceil(seconds) + 2, `${leases} lease rounds for 200 requests in ${seconds.toFixed(1)} s`);
  });

  it('the buckets live in rate_limit_bucket, keyed by prefix, refilled on the database clock', async () => {
    const key = await app.issueKey({ kind: 'store', storeUuid: STORE, budget: { rate: 7, burst: 9 } });
    assert.equal((await send(app.url, '/api/pricing', { key })).status, 200);
    const { rows } = await sql.query(
      'SELECT rate, burst, tokens, refilled_at <= now() AS past FROM rate_limit_bucket WHERE key_prefix = $1',
      [prefixFrom(key)],
    );
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].rate, rows[0].burst, rows[0].past], [7, 9, true]);
    assert.ok(rows[0].tokens >= 0 && rows[0].tokens < 9, `tokens ${rows[0].tokens}: some leased`);
  });
});

describe('a 429 is held before it is sent (RATE_LIMIT_HOLD_MS)', () => {
  const HOLD_MS = 1500;
  let app: TestApp;

  before(async () => {
    app = await startApp(serviceEnv(await createDatabase(), undefined, { RATE_LIMIT_HOLD_MS: String(HOLD_MS) }));
  });

  after(async () => {
    await app?.close();
  });

  it('a refusal comes after the hold, with the same answer; beyond MAX_HELD_REFUSALS at once, refusals are sent at once', async () => {
    const key = await app.issueKey({ kind: 'store', storeUuid: STORE, budget: { rate: 1, burst: 1 } });
    assert.equal((await send(app.url, '/api/pricing', { key })).status, 200);
    let started = performance.now();
    const refused = await send(app.url, '/api/pricing', { key });
    const took = performance.now() - started;
    assertRateLimited(refused, 1);
    assert.ok(took >= HOLD_MS - 50, `held ${took.toFixed(0)} ms`);

    // More over-budget requests at once than may be held: the ones beyond the bound are answered without the hold.
    const extra = 40;
    started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: MAX_HELD_REFUSALS + extra }, async () => {
        const reply = await send(app.url, '/api/pricing', { key, timeoutMs: 30_000 });
        return { reply, ms: performance.now() - started };
      }),
    );
    const refusedAll = replies.filter(({ reply }) => reply.status === 429);
    assert.ok(refusedAll.length >= MAX_HELD_REFUSALS + extra - 3, `${refusedAll.length} refused (a token may come back meanwhile)`);
    // The same answer as any 429: Remaining 0, and never a full bucket (Reset ≥ 1).
    for (const { reply } of refusedAll) assertRateLimited(reply, 1);
    const early = refusedAll.filter(({ ms }) => ms < HOLD_MS - 50).length;
    const held = refusedAll.filter(({ ms }) => ms >= HOLD_MS - 50).length;
    assert.ok(held <= MAX_HELD_REFUSALS, `${held} held, at most ${MAX_HELD_REFUSALS}`);
    assert.ok(early >= extra - 3, `${early} answered without the hold`);
  });
});

describe('rate limits while the database is unreachable', () => {
  let app: TestApp;
  let proxy: TcpProxy;

  before(async () => {
    const databaseUrl = await createDatabase();
    proxy = new TcpProxy(Number(new URL(databaseUrl).port));
    const port = await proxy.start();
    // Keys stay verified through the outage; the pricing table is in memory: GET /api/pricing needs no database.
    app = await startApp(serviceEnv(withPort(databaseUrl, port), undefined, { API_KEY_CACHE_TTL_MS: '300000', RATE_LIMIT_HOLD_MS: '0' }));
  });

  after(async () => {
    await app?.close();
    await proxy?.stop();
  });

  it('each instance limits the key on its own (fail open to the budget, never 503 for the limiter), and leases again once it is back', async () => {
    const key = await app.issueKey({ kind: 'store', storeUuid: STORE, budget: { rate: 1, burst: 4 } });
    assert.equal((await send(app.url, '/api/pricing', { key })).status, 200);
    proxy.mode = 'down';
    proxy.cut();
    const during: Reply[] = [];
    const started = Date.now();
    for (let i = 0; i < 12; i++) during.push(await send(app.url, '/api/pricing', { key }));
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const statuses = during.map((reply) => reply.status);
    assert.ok(
      statuses.every((status) => status === 200 || status === 429),
      statuses.join(' '),
    );
    assert.ok(statuses.filter((status) => status === 200).length >= 2, `served from its own share: ${statuses.join(' ')}`);
    // Its own bucket starts from what it knew (at most the burst, 4) and refills at 1 a second.
    assert.ok(statuses.filter((status) => status === 200).length <= 4 + seconds, `still limited: ${statuses.join(' ')}`);
    for (const reply of during.filter((r) => r.status === 429)) assertRateLimited(reply, 4);
    assert.ok(sample(await metrics(app), 'rate_limit_lease_rounds_total', { outcome: 'failed' }) >= 1);

    proxy.mode = 'up';
    const ok = async () => sample(await metrics(app), 'rate_limit_lease_rounds_total', { outcome: 'ok' });
    const before = await ok();
    assert.ok(
      await eventually(
        async () => {
          await send(app.url, '/api/pricing', { key });
          return (await ok()) > before;
        },
        15_000,
        300,
      ),
      'leases again once the database answers',
    );
  });
});
