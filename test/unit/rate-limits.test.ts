/**
 * Rate limits without a database: the token bucket arithmetic (token-bucket.ts), and RateLimiter on a
 * clock of the test's own over an in-memory stand-in for rate_limit_bucket — burst then rate, refusals
 * decided without a lease, leased tokens expiring, two instances flooding one key held to the contract's
 * bound over every 10 s, an outage served from each instance's own bucket, memory bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import type { Budget } from '../../src/access/budget.js';
import type { LeaseAsk, LeaseGrant, RateLimitBucketRepository } from '../../src/access/rate-limit-bucket.repository.js';
import { IDLE_MS, MAX_KEYS, OUTAGE_RETRY_MS, RateLimiter, type RateDecision } from '../../src/access/rate-limiter.js';
import {
  exhaustedPollMs,
  LEASE_TTL_MS,
  LocalBucket,
  rateLimitState,
  refilled,
  secondsUntil,
  sliceSize,
  updatedDemand,
} from '../../src/access/token-bucket.js';
import { sample } from '../../harness/metrics-sample.js';

Logger.overrideLogger(false); // the outage test's warnings are expected

const BUDGET: Budget = { rate: 100, burst: 200 };
/** docs/contract/access.md#rate-limits: over any 10 s, accepted ≤ 1.2 × (rate × 10 + burst). */
const allowedIn10s = (budget: Budget) => 1.2 * (budget.rate * 10 + budget.burst);

describe('token bucket arithmetic', () => {
  it('refills at rate per second, capped at burst; never drains by a clock going back', () => {
    assert.equal(refilled(0, BUDGET, 500), 50);
    assert.equal(refilled(150, BUDGET, 1000), 200);
    assert.equal(refilled(10, BUDGET, -1000), 10);
    assert.equal(secondsUntil(0, BUDGET, 1), 0.01);
    assert.equal(secondsUntil(5, BUDGET, 1), 0);
    assert.equal(secondsUntil(0, BUDGET, 1000), 2, 'never more than the burst');
  });

  it('slices follow the demand: about half a second of it, 1 to burst', () => {
    assert.equal(sliceSize(0, BUDGET), 1);
    assert.equal(sliceSize(40, BUDGET), 20);
    assert.equal(sliceSize(100_000, BUDGET), 200);
    let demand = 0;
    for (let i = 0; i < 20; i++) demand = updatedDemand(demand, 25, 250); // 100/s
    assert.ok(Math.abs(demand - 100) < 1, `demand ${demand}`);
    assert.equal(updatedDemand(7, 3, 0), 7);
  });

  it('an emptied bucket is asked again once it holds a tenth of a second of refill (≥ 1 token)', () => {
    assert.equal(exhaustedPollMs(0, BUDGET), 100);
    assert.equal(exhaustedPollMs(0.5, { rate: 1, burst: 5 }), 500, 'half a token short at 1/s');
    assert.equal(exhaustedPollMs(0, { rate: 100, burst: 3 }), 30, 'no more than the burst');
  });

  it('headers: Remaining whole requests left, Reset whole seconds until full, Retry-After at least 1', () => {
    assert.deepEqual(rateLimitState(200, BUDGET), { limit: 200, remaining: 200, resetSeconds: 0, retryAfterSeconds: 1 });
    assert.deepEqual(rateLimitState(99.5, BUDGET), { limit: 200, remaining: 99, resetSeconds: 2, retryAfterSeconds: 1 });
    assert.deepEqual(rateLimitState(0.2, { rate: 1, burst: 3 }), { limit: 3, remaining: 0, resetSeconds: 3, retryAfterSeconds: 1 });
    assert.equal(rateLimitState(0, { rate: 1, burst: 30 }).resetSeconds, 30);
  });

  it('a lease lifetime of LEASE_TTL_MS keeps any number of instances inside the bound, whatever the budget', () => {
    for (const budget of [BUDGET, { rate: 1, burst: 1 }, { rate: 1000, burst: 1 }, { rate: 1, burst: 1000 }]) {
      // Every token spent in a 10 s window was taken from the bucket at most LEASE_TTL_MS before it.
      const worst = budget.burst + budget.rate * (10 + LEASE_TTL_MS / 1000);
      assert.ok(worst <= allowedIn10s(budget), `${JSON.stringify(budget)}: ${worst}`);
    }
  });

  it('LocalBucket: a bucket of one process', () => {
    const bucket = new LocalBucket({ rate: 2, burst: 3 }, 10, 0);
    assert.equal(bucket.available(0), 3, 'capped at burst');
    for (let i = 0; i < 3; i++) assert.ok(bucket.take(0));
    assert.equal(bucket.take(0), false);
    assert.equal(bucket.take(499), false);
    assert.ok(bucket.take(500));
  });
});

/** The rate_limit_bucket statement, in memory, on the test's clock. */
class FakeBuckets {
  readonly rows = new Map<string, { tokens: number; at: number }>();
  rounds = 0;
  failing = false;
  taken = 0;

  constructor(private readonly clock: { now: number }) {}

  async lease(asks: readonly LeaseAsk[]): Promise<Map<string, LeaseGrant>> {
    this.rounds++;
    if (this.failing) throw new Error('connect ECONNREFUSED');
    assert.equal(new Set(asks.map((ask) => ask.keyPrefix)).size, asks.length, 'distinct keys in a round');
    const grants = new Map<string, LeaseGrant>();
    for (const ask of asks) {
      const row = this.rows.get(ask.keyPrefix) ?? { tokens: ask.budget.burst, at: this.clock.now };
      const level = refilled(row.tokens, ask.budget, this.clock.now - row.at);
      const granted = Math.min(ask.want, ask.budget.burst, Math.floor(level));
      this.taken += granted;
      this.rows.set(ask.keyPrefix, { tokens: level - granted, at: Math.max(row.at, this.clock.now) });
      grants.set(ask.keyPrefix, { granted, levelAfter: level - granted });
    }
    return grants;
  }
}

class TestLimiter extends RateLimiter {
  constructor(
    buckets: FakeBuckets,
    readonly registry: Registry,
    private readonly clock: { now: number },
  ) {
    super(buckets as unknown as RateLimitBucketRepository, registry);
  }

  protected override now(): number {
    return this.clock.now;
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sample(await this.registry.metrics(), name, labels);
  }
}

function setUp(instances = 1) {
  const clock = { now: 1_000 };
  const buckets = new FakeBuckets(clock);
  const limiters = Array.from({ length: instances }, () => new TestLimiter(buckets, new Registry(), clock));
  const close = () => limiters.forEach((limiter) => limiter.onApplicationShutdown());
  return { clock, buckets, limiters, limiter: limiters[0], close };
}

const takeMany = (limiter: RateLimiter, n: number, key = 'wsk_store_aaaaaaaaaaaa', budget = BUDGET): Promise<RateDecision[]> =>
  Promise.all(Array.from({ length: n }, () => limiter.take(key, 'store', budget)));
const allowed = (decisions: RateDecision[]) => decisions.filter((decision) => decision.allowed).length;

describe('RateLimiter', () => {
  it('the burst at once, then the rate; refusals while the bucket is known to be empty need no lease', async () => {
    const { clock, buckets, limiter, close } = setUp();
    const budget = { rate: 10, burst: 5 };
    const first = await takeMany(limiter, 20, 'k', budget);
    assert.equal(allowed(first), 5);
    assert.ok(buckets.rounds <= 3, `${buckets.rounds} rounds for 20 concurrent first requests`);
    for (const refused of first.filter((decision) => !decision.allowed)) {
      assert.deepEqual([refused.remaining, refused.limit, refused.retryAfterSeconds], [0, 5, 1]);
    }
    const rounds = buckets.rounds;
    clock.now += 50;
    assert.equal(allowed(await takeMany(limiter, 50, 'k', budget)), 0);
    assert.equal(buckets.rounds, rounds, 'refused in memory');
    clock.now += 60; // past the bucket's first new token
    assert.equal(allowed(await takeMany(limiter, 50, 'k', budget)), 1);
    assert.equal(buckets.rounds, rounds + 1, 'one lease for the lot');
    assert.equal(await limiter.metric('rate_limited_total', { kind: 'store' }), 15 + 50 + 49);
    close();
  });

  it('a request spends a leased token without a round trip; the lease before it runs out is taken in the background', async () => {
    const { clock, buckets, limiter, close } = setUp();
    let served = 0;
    for (let i = 0; i < 1000; i++) {
      clock.now += 20; // 50/s, within the budget
      if ((await limiter.take('k', 'store', BUDGET)).allowed) served++;
    }
    assert.equal(served, 1000);
    assert.ok(buckets.rounds < 120, `${buckets.rounds} leases for 1000 requests`);
    close();
  });

  it('leased tokens expire LEASE_TTL_MS after the lease was sent', async () => {
    const { clock, buckets, limiter, close } = setUp();
    const budget = { rate: 1, burst: 10 };
    await takeMany(limiter, 4, 'k', budget); // leases a few more than it spends
    const taken = buckets.taken;
    assert.ok(taken > 4, `${taken} taken`);
    clock.now += LEASE_TTL_MS + 1;
    const rounds = buckets.rounds;
    assert.ok((await limiter.take('k', 'store', budget)).allowed);
    assert.equal(buckets.rounds, rounds + 1, 'the tokens held had expired: a new lease');
    close();
  });

  it('two instances flooding one key: over every 10 s, accepted ≤ 1.2 × (rate × 10 + burst), and close to the rate', async (t) => {
    const { clock, limiters, close } = setUp(2);
    const budget = { rate: 50, burst: 100 };
    const acceptedAt: number[] = [];
    const start = clock.now;
    for (let step = 0; step < 6000; step++) {
      // 30 s in 5 ms steps; instance 1 floods throughout, instance 2 in alternate seconds (its slices left to expire).
      const active = Math.floor(step / 200) % 2 === 0 ? limiters : [limiters[0]];
      const decisions = await Promise.all(active.flatMap((limiter) => Array.from({ length: 3 }, () => limiter.take('k', 'store', budget))));
      for (let i = 0; i < allowed(decisions); i++) acceptedAt.push(clock.now - start);
      clock.now += 5;
    }
    let worst = 0;
    for (let from = 0; from <= 20_000; from += 5) {
      worst = Math.max(worst, acceptedAt.filter((t) => t >= from && t < from + 10_000).length);
    }
    assert.ok(worst <= allowedIn10s(budget), `${worst} accepted in the worst 10 s; allowed ${allowedIn10s(budget)}`);
    t.diagnostic(`worst 10 s: ${worst} accepted (allowed ${allowedIn10s(budget)}; rate × 10 + burst = ${budget.rate * 10 + budget.burst})`);
    const expected = budget.burst + budget.rate * 30;
    assert.ok(acceptedAt.length >= 0.95 * expected, `${acceptedAt.length} accepted over 30 s; the budget gives ${expected}`);
    t.diagnostic(`30 s: ${acceptedAt.length} accepted; burst + rate × 30 = ${expected}`);
    close();
  });

  it('a refusal never says the bucket is full: RateLimit-Reset ≥ 1, Remaining 0, whatever an instance estimates of the shared bucket', async () => {
    for (const budget of [
      { rate: 1, burst: 1 },
      { rate: 100, burst: 1 },
      { rate: 5, burst: 2 },
    ]) {
      const { clock, limiters, close } = setUp(2);
      const refusals: RateDecision[] = [];
      for (let step = 0; step < 2000; step++) {
        // Both instances flood in turns of 150 ms, so each one's view of the bucket goes stale while the other spends it.
        const active = Math.floor(step / 30) % 2 === 0 ? limiters[0] : limiters[1];
        const decisions = await Promise.all(Array.from({ length: 2 }, () => active.take('k', 'store', budget)));
        refusals.push(...decisions.filter((decision) => !decision.allowed));
        clock.now += 5;
      }
      assert.ok(refusals.length > 0);
      const untrue = refusals.filter((decision) => decision.resetSeconds < 1 || decision.remaining !== 0);
      assert.equal(untrue.length, 0, `${JSON.stringify(budget)}: ${JSON.stringify(untrue[0])} of ${refusals.length} refusals`);
      close();
    }
  });

  it('buckets unreachable: each instance limits the key to its budget on its own, tries a lease once a second, and recovers', async () => {
    const { clock, buckets, limiter, close } = setUp();
    const budget = { rate: 10, burst: 5 };
    buckets.failing = true;
    const during = await takeMany(limiter, 20, 'k', budget);
    assert.equal(allowed(during), 5, 'its own bucket, full at first');
    assert.equal(buckets.rounds, 1);
    clock.now += OUTAGE_RETRY_MS / 2;
    assert.equal(allowed(await takeMany(limiter, 20, 'k', budget)), 5, 'refilled at the rate');
    assert.equal(buckets.rounds, 1, 'no lease tried within a second');
    buckets.failing = false;
    clock.now += OUTAGE_RETRY_MS;
    await limiter.take('k', 'store', budget); // served locally; its lease is the probe
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await limiter.metric('rate_limit_lease_rounds_total', { outcome: 'ok' }), 1, 'the probe succeeded');
    assert.ok(buckets.taken > 0, 'tokens leased from the shared bucket again');
    clock.now += 2 * LEASE_TTL_MS;
    await takeMany(limiter, 30, 'k', budget);
    assert.ok(buckets.taken >= 5, 'spent from leases');
    assert.equal(
      await limiter.metric('rate_limit_lease_rounds_total', { outcome: 'failed' }),
      1,
      'one failed lease: no retry within the second',
    );
    close();
  });

  it('memory is bounded: at most MAX_KEYS keys, and keys idle for IDLE_MS are forgotten', async () => {
    const { clock, limiter, close } = setUp();
    for (let from = 0; from < MAX_KEYS + 500; from += 5000) {
      await Promise.all(
        Array.from({ length: Math.min(5000, MAX_KEYS + 500 - from) }, (_, i) => limiter.take(`key-${from + i}`, 'store', BUDGET)),
      );
    }
    assert.ok((await limiter.metric('rate_limit_keys')) <= MAX_KEYS);
    clock.now += IDLE_MS + 1;
    limiter.sweep();
    assert.equal(await limiter.metric('rate_limit_keys'), 0);
    close();
  });
});
