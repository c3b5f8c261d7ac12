import type { Budget } from './budget.js';

/**
 * The arithmetic of rate limiting (docs/contract/access.md#rate-limits), pure: a token bucket refilled at `rate` per second
 * up to `burst`, the slices an instance leases from the shared bucket, and the headers a client sees.
 * The lease statement (rate-limit-bucket.repository.ts) does the same refill in SQL, on the database's clock.
 */

/**
 * How long leased tokens may be spent, counted from before the lease was sent. Every token an instance
 * spends was taken from the shared bucket at most this long before, so over any 10 s the tokens spent
 * are at most what the bucket gave out over 10 s + LEASE_TTL_MS — at most `burst + rate × 11.5` whatever
 * the number of instances, inside the contract's `1.2 × (rate × 10 + burst)` since 1.5 × rate ≤ 2 × rate.
 */
export const LEASE_TTL_MS = 1_500;
/** A slice lasts about this long at the key's current demand on this instance: a few leases a second per busy key. */
const SLICE_PERIOD_S = 0.5;
/** An exhausted bucket is asked again once it should hold this share of a second's refill (≥ 1 token): ≤ 10 asks a second. */
const EXHAUSTED_POLL_S = 0.1;
/** The demand estimate forgets with this time constant. */
const DEMAND_TIME_CONSTANT_MS = 1_000;

/** The bucket's level `elapsedMs` after it held `level`, refilled and capped at `burst`. */
export function refilled(level: number, budget: Budget, elapsedMs: number): number {
  return Math.min(budget.burst, level + (budget.rate * Math.max(0, elapsedMs)) / 1000);
}

/** Seconds until a bucket at `level` holds `tokens` (0 if it does already). */
export function secondsUntil(level: number, budget: Budget, tokens: number): number {
  return Math.max(0, (Math.min(tokens, budget.burst) - level) / budget.rate);
}

/** Tokens to lease for a key used `demand` times a second on this instance: about SLICE_PERIOD_S of it, 1 to `burst`. */
export function sliceSize(demand: number, budget: Budget): number {
  return Math.min(budget.burst, Math.max(1, Math.round(demand * SLICE_PERIOD_S)));
}

/** The demand estimate after `arrivals` requests in `elapsedMs` (an exponentially weighted rate per second). */
export function updatedDemand(demand: number, arrivals: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return demand;
  const sample = (arrivals * 1000) / elapsedMs;
  return demand + (sample - demand) * Math.min(1, elapsedMs / DEMAND_TIME_CONSTANT_MS);
}

/**
 * When a lease found the bucket short (`levelAfter` < 1 left), how long before asking it again: until it
 * holds a tenth of a second's refill (at least one token), so a flooded key costs ≤ 10 leases a second
 * per instance and every refusal meanwhile is decided in memory.
 */
export function exhaustedPollMs(levelAfter: number, budget: Budget): number {
  const worthAsking = Math.max(1, Math.min(budget.burst, budget.rate * EXHAUSTED_POLL_S));
  return secondsUntil(levelAfter, budget, worthAsking) * 1000;
}

/** What a client is told on every answer to a key with a budget (RateLimit-*; Retry-After on a 429). */
export interface RateLimitState {
  /** The bucket's capacity (`burst`). */
  limit: number;
  /** Whole requests left now. */
  remaining: number;
  /** Whole seconds until the bucket is full again. */
  resetSeconds: number;
  /** Whole seconds until the next request can be accepted (≥ 1); meaningful on a refusal. */
  retryAfterSeconds: number;
}

/** The headers' values for a bucket that holds `available` tokens now (fractions included). */
export function rateLimitState(available: number, budget: Budget): RateLimitState {
  const level = Math.max(0, Math.min(budget.burst, available));
  return {
    limit: budget.burst,
    remaining: Math.floor(level),
    resetSeconds: Math.ceil(secondsUntil(level, budget, budget.burst)),
    retryAfterSeconds: Math.max(1, Math.ceil(secondsUntil(level, budget, 1))),
  };
}

/** A token bucket in this process alone: what an instance falls back to while the shared buckets cannot be reached. */
export class LocalBucket {
  private level: number;
  private at: number;

  constructor(
    private readonly budget: Budget,
    level: number,
    now: number,
  ) {
    this.level = Math.min(budget.burst, Math.max(0, level));
    this.at = now;
  }

  /** The level now, refilled since the last look. */
  available(now: number): number {
    this.level = refilled(this.level, this.budget, now - this.at);
    this.at = Math.max(this.at, now);
    return this.level;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    if (this.available(now) < 1) return false;
    this.level -= 1;
    return true;
  }
}
