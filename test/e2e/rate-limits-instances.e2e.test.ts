/**
 * The budget holds across instances (docs/contract/access.md#rate-limits; issue 19 part 2): two instances of the service
 * (two Nest applications, each with its own limiter and lease connection) on one database, one key
 * hammered on both at once for 12 s. Over every 10 s window the accepted requests stay within
 * 1.2 × (rate × 10 + burst), and over the whole run they come close to burst + rate × seconds; the
 * instances lease in rounds, far fewer than the requests (no database round trip per request).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { send } from '../../harness/http-client.js';
import { sample } from '../../harness/metrics-sample.js';
import { createDatabase, serviceEnv, startApp, type TestApp } from '../support/test-env.js';

// Small enough that even a loaded machine sends well over it through GET /api/pricing.
const BUDGET = { rate: 20, burst: 40 };
const SECONDS = 12;
const LOOPS_PER_INSTANCE = 8;

describe('rate limits across two instances on one database', () => {
  const apps: TestApp[] = [];

  before(async () => {
    const databaseUrl = await createDatabase();
    // 429s sent at once (RATE_LIMIT_HOLD_MS=0): this counts what the budgets accept under a hammering, and held refusals would slow the hammer below it.
    for (let i = 0; i < 2; i++) apps.push(await startApp(serviceEnv(databaseUrl, undefined, { RATE_LIMIT_HOLD_MS: '0' })));
  });

  after(async () => {
    for (const app of apps) await app.close();
  });

  it('a key hammered on both: ≤ 1.2 × (rate × 10 + burst) over every 10 s, close to the rate overall', async (t) => {
    const key = await apps[0].issueKey({ kind: 'store', storeUuid: 'two-instances', budget: BUDGET });
    const leaseRounds = async () => {
      let rounds = 0;
      for (const app of apps)
        rounds += sample((await send(app.url, '/metrics', { key: null })).text, 'rate_limit_lease_rounds_total', { outcome: 'ok' });
      return rounds;
    };
    const roundsBefore = await leaseRounds();
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    const acceptedAt: number[] = [];
    const perInstance = [0, 0];
    const statuses: Record<number, number> = {};
    const hammer = async (instance: number) => {
      while (performance.now() < deadline) {
        // GET /api/pricing answers from memory: the load is the limiter's, not the database's.
        const reply = await send(apps[instance].url, '/api/pricing', { key, timeoutMs: 10_000 });
        statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
        if (reply.status === 200) {
          acceptedAt.push(performance.now() - started);
          perInstance[instance]++;
        }
      }
    };
    await Promise.all(apps.flatMap((_, instance) => Array.from({ length: LOOPS_PER_INSTANCE }, () => hammer(instance))));
    const seconds = (performance.now() - started) / 1000;
    const rounds = (await leaseRounds()) - roundsBefore;
    const requests = Object.values(statuses).reduce((sum, n) => sum + n, 0);

    acceptedAt.sort((a, b) => a - b);
    let worst = 0;
    // The busiest 10 s window starts at some accepted request: count from each one.
    for (let i = 0, j = 0; i < acceptedAt.length; i++) {
      while (j < acceptedAt.length && acceptedAt[j] < acceptedAt[i] + 10_000) j++;
      worst = Math.max(worst, j - i);
    }
    const allowed = 1.2 * (BUDGET.rate * 10 + BUDGET.burst);
    const budgetOverRun = BUDGET.burst + BUDGET.rate * seconds;
    t.diagnostic(
      `${Object.entries(statuses)
        .map(([status, n]) => `${n} × ${status}`)
        .join(
          ', ',
        )} in ${seconds.toFixed(1)} s; accepted ${acceptedAt.length} (instance 1: ${perInstance[0]}, instance 2: ${perInstance[1]}); ` +
        `budget over the run (burst + rate × s) ${budgetOverRun.toFixed(0)} → ${((acceptedAt.length / budgetOverRun) * 100).toFixed(1)} %; ` +
        `worst 10 s window ${worst}, allowed ${allowed} (rate × 10 + burst = ${BUDGET.rate * 10 + BUDGET.burst}); ` +
        `${rounds} lease rounds on both instances for ${requests} requests`,
    );
    assert.ok(requests >= 1.5 * budgetOverRun, `the key was hammered well over its budget: ${requests} requests`);
    assert.deepEqual(
      Object.keys(statuses).filter((status) => status !== '200' && status !== '429'),
      [],
      'only 200 and 429',
    );
    assert.ok(worst <= allowed, `${worst} accepted within 10 s; allowed ${allowed}`);
    assert.ok(acceptedAt.length >= 0.9 * budgetOverRun, `${acceptedAt.length} accepted; the budget gives ${budgetOverRun.toFixed(0)}`);
    // Bounded by time, not by requests: an emptied bucket is asked again ≤ 10 times a second per instance, plus the odd prefetch.
    assert.ok(rounds <= 2 * 12 * SECONDS + 10, `${rounds} lease rounds for ${requests} requests`);
    assert.ok(
      perInstance.every((n) => n > 0),
      'both instances served the key',
    );
  });
});
