import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import type { KeyKind } from './api-key.js';
import type { Budget } from './budget.js';
import { RateLimitBucketRepository, type LeaseAsk, type LeaseGrant } from './rate-limit-bucket.repository.js';
import {
  exhaustedPollMs,
  LEASE_TTL_MS,
  LocalBucket,
  rateLimitState,
  refilled,
  secondsUntil,
  sliceSize,
  updatedDemand,
  type RateLimitState,
} from './token-bucket.js';

/** The limiter's answer for one request. */
export interface RateDecision extends RateLimitState {
  allowed: boolean;
}

/** Keys with local state per process; beyond it the oldest idle ones go first (their buckets live in the database). */
export const MAX_KEYS = 20_000;
/** A key unused this long (its slices expired long ago) is forgotten by the process. */
export const IDLE_MS = 10_000;
const SWEEP_EVERY_MS = 5_000;
/** While the buckets cannot be reached, a lease is tried again at most this often (requests meanwhile are served locally). */
export const OUTAGE_RETRY_MS = 1_000;

type Outcome = 'served' | 'refused' | 'local';

interface Slice {
  tokens: number;
  expiresAt: number;
}

/** What one process knows of one key. All times are this.now() milliseconds. */
interface KeyState {
  keyPrefix: string;
  budget: Budget;
  /** Leased tokens not spent yet, oldest first; each slice expires LEASE_TTL_MS after its lease was sent. */
  slices: Slice[];
  /** The shared bucket's level after the last lease, and when it was seen: for the headers. */
  levelSeen: number;
  seenAt: number;
  /** Set when the last lease found the bucket short: until `retryAt` (and while a lease is under way) a request without a token is refused at once. */
  exhausted: boolean;
  retryAt: number;
  /** Requests waiting for the next lease (each wants one token). */
  waiters: ((outcome: Outcome) => void)[];
  /** In the next round, or in the one under way. */
  leasing: boolean;
  /** Requests per second on this process (an estimate), and the arrivals since it was last updated. */
  demand: number;
  arrivals: number;
  arrivalsSince: number;
  lastUsedAt: number;
  /** This process's own bucket for the key while the shared ones cannot be reached, made at the outage's start. */
  local?: { bucket: LocalBucket; outage: number };
}

/**
 * Per-key budgets across every instance (docs/contract/access.md#rate-limits; README, Access). The buckets live in
 * PostgreSQL (rate_limit_bucket); a process leases tokens from them in slices sized to the key's demand
 * here, in rounds of one statement for every key that needs tokens, and spends them in memory: no
 * database round trip per request. Leased tokens expire LEASE_TTL_MS after the lease was sent, which
 * bounds what all instances together can accept (token-bucket.ts). A key whose bucket was found empty
 * is refused in memory until it should hold a few tokens again, so a flooding key costs a few leases a
 * second, not a statement per request. When the buckets cannot be reached, each process limits the key
 * with a bucket of its own (fail open to the budget per instance, never a 503 for the limiter's sake).
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly keys = new Map<string, KeyState>();
  /** Keys that need tokens from the next round. */
  private readonly pending = new Map<string, KeyState>();
  private round: Promise<void> | undefined;
  /** Counts outages; 0 while the buckets answer. */
  private outage = 0;
  private outageCount = 0;
  private nextTryAt = 0;
  private readonly sweeper: NodeJS.Timeout;
  private readonly refusals: Counter<'kind'>;
  private readonly rounds: Counter<'outcome'>;

  constructor(
    private readonly buckets: RateLimitBucketRepository,
    registry: Registry,
  ) {
    this.refusals = new Counter({
      name: 'rate_limited_total',
      help: 'Requests refused with 429 RATE_LIMITED, by kind of key',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.rounds = new Counter({
      name: 'rate_limit_lease_rounds_total',
      help: 'Lease statements sent to the shared rate limit buckets (one per round, for every key that needed tokens), by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    });
    const keys = this.keys;
    new Gauge({
      name: 'rate_limit_keys',
      help: `Keys this process holds rate limit state for (at most ${MAX_KEYS}; idle keys are forgotten)`,
      registers: [registry],
      collect() {
        this.set(keys.size);
      },
    });
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Spends one token of the key's budget, or refuses. Waits for the database only when this process holds no token and does not know the bucket to be empty. */
  async take(keyPrefix: string, kind: KeyKind, budget: Budget): Promise<RateDecision> {
    let now = this.now();
    const state = this.stateOf(keyPrefix, budget, now);
    state.arrivals++;
    state.lastUsedAt = now;
    let outcome: Outcome;
    if (this.spend(state, now)) outcome = 'served';
    else if (this.outage > 0) outcome = 'local';
    else if (state.exhausted && (now < state.retryAt || state.leasing)) outcome = 'refused';
    else {
      outcome = await new Promise<Outcome>((resolve) => {
        state.waiters.push(resolve);
        this.enqueue(state);
      });
      now = this.now();
    }
    if (outcome === 'served') this.prefetch(state, now);
    const decision =
      outcome === 'local' ? this.decideLocally(state, now) : { allowed: outcome === 'served', ...this.headersFor(state, now) };
    if (decision.allowed) return decision;
    this.refusals.inc({ kind });
    // Refused while the bucket may already hold a token or two (it is asked again only once it holds a few): none is left for this client.
    // Nor is the bucket full, whatever this instance estimates of it (a stale view counts tokens another instance spent):
    // filling it takes at least the refill of all but one token.
    const fullIn = Math.max(1, Math.ceil(secondsUntil(1, state.budget, state.budget.burst)));
    return { ...decision, remaining: 0, resetSeconds: Math.max(decision.resetSeconds, fullIn) };
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** Milliseconds on a monotonic clock (a test's own clock in the unit tests). */
  protected now(): number {
    return performance.now();
  }

  /** Forgets keys idle for IDLE_MS: their slices have expired, and their buckets live on in the database. */
  sweep(now = this.now()): void {
    for (const [key, state] of this.keys) {
      if (now - state.lastUsedAt > IDLE_MS && !state.leasing && state.waiters.length === 0) this.keys.delete(key);
    }
  }

  private stateOf(keyPrefix: string, budget: Budget, now: number): KeyState {
    let state = this.keys.get(keyPrefix);
    if (state && (state.budget.rate !== budget.rate || state.budget.burst !== budget.burst)) {
      state.budget = budget; // changed by `npm run keys -- budget`: the next lease carries it to the bucket
      state.local = undefined;
    }
    if (!state) {
      if (this.keys.size >= MAX_KEYS) this.evictOne();
      state = {
        keyPrefix,
        budget,
        slices: [],
        levelSeen: budget.burst,
        seenAt: now,
        exhausted: false,
        retryAt: 0,
        waiters: [],
        leasing: false,
        demand: 0,
        arrivals: 0,
        arrivalsSince: now,
        lastUsedAt: now,
      };
      this.keys.set(keyPrefix, state);
    }
    return state;
  }

  /** Takes one leased token, dropping expired slices first. */
  private spend(state: KeyState, now: number): boolean {
    while (state.slices.length > 0 && (state.slices[0].expiresAt <= now || state.slices[0].tokens < 1)) state.slices.shift();
    const slice = state.slices[0];
    if (!slice) return false;
    slice.tokens -= 1;
    return true;
  }

  private held(state: KeyState, now: number): number {
    return state.slices.reduce((sum, slice) => (slice.expiresAt > now ? sum + slice.tokens : sum), 0);
  }

  /** Leases more before the tokens held run out, while the bucket is not known to be empty. */
  private prefetch(state: KeyState, now: number): void {
    if (state.leasing || this.outage > 0 || (state.exhausted && now < state.retryAt)) return;
    if (this.held(state, now) <= sliceSize(state.demand, state.budget) / 2) this.enqueue(state);
  }

  private enqueue(state: KeyState): void {
    state.leasing = true;
    this.pending.set(state.keyPrefix, state);
    this.round ??= this.runRounds();
  }

  /** One lease statement at a time; asks made meanwhile go together into the next. */
  private async runRounds(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // requests read in the same turn of the event loop join the round
    try {
      while (this.pending.size > 0) {
        const batch = [...this.pending.values()];
        this.pending.clear();
        await this.leaseRound(batch);
      }
    } finally {
      this.round = undefined;
    }
  }

  private async leaseRound(batch: KeyState[]): Promise<void> {
    const sentAt = this.now();
    const asks: LeaseAsk[] = batch.map((state) => {
      state.demand = updatedDemand(state.demand, state.arrivals, sentAt - state.arrivalsSince);
      state.arrivals = 0;
      state.arrivalsSince = sentAt;
      const want = Math.min(state.budget.burst, state.waiters.length + sliceSize(state.demand, state.budget));
      return { keyPrefix: state.keyPrefix, budget: state.budget, want };
    });
    let grants: Map<string, LeaseGrant>;
    try {
      grants = await this.buckets.lease(asks);
      this.rounds.inc({ outcome: 'ok' });
    } catch (error) {
      this.rounds.inc({ outcome: 'failed' });
      this.enterOutage(sentAt, error);
      for (const state of batch) this.settle(state, 'local');
      return;
    }
    if (this.outage > 0) this.logger.log({ message: 'rate limit buckets reachable again; budgets hold across instances again' });
    this.outage = 0;
    const now = this.now();
    asks.forEach((ask, i) => {
      const state = batch[i];
      const grant = grants.get(ask.keyPrefix) ?? { granted: 0, levelAfter: 0 };
      this.receive(state, ask.want, grant, sentAt, now);
    });
  }

  /** Adds a grant to the key's tokens and serves its waiters from them. */
  private receive(state: KeyState, want: number, grant: LeaseGrant, sentAt: number, now: number): void {
    state.leasing = false;
    if (grant.granted > 0) state.slices.push({ tokens: grant.granted, expiresAt: sentAt + LEASE_TTL_MS });
    state.levelSeen = grant.levelAfter;
    state.seenAt = now;
    state.exhausted = grant.granted < want;
    state.retryAt = state.exhausted ? now + exhaustedPollMs(grant.levelAfter, state.budget) : 0;
    while (state.waiters.length > 0 && this.spend(state, now)) state.waiters.shift()!('served');
    if (state.waiters.length === 0) return;
    // Asked for after this lease was sent: the bucket is empty (refused), or they go into the next round.
    if (state.exhausted) this.settle(state, 'refused');
    else this.enqueue(state);
  }

  private settle(state: KeyState, outcome: Outcome): void {
    state.leasing = false;
    for (const resolve of state.waiters.splice(0)) resolve(outcome);
  }

  private enterOutage(at: number, error: unknown): void {
    this.nextTryAt = at + OUTAGE_RETRY_MS;
    if (this.outage > 0) return;
    this.outage = ++this.outageCount;
    this.logger.warn({
      message: 'rate limit buckets unreachable: each instance limits every key to its budget on its own until they answer again',
      error: error instanceof Error ? error.message : String(error),
    });
  }

  /** During an outage: the process's own bucket for the key, started from what it knew; a lease is tried again now and then. */
  private decideLocally(state: KeyState, now: number): RateDecision {
    if (state.local?.outage !== this.outage) {
      state.local = { bucket: new LocalBucket(state.budget, this.estimate(state, now), now), outage: this.outage };
    }
    const allowed = state.local.bucket.take(now);
    if (now >= this.nextTryAt && !state.leasing) {
      this.nextTryAt = now + OUTAGE_RETRY_MS;
      this.enqueue(state); // the probe: its success ends the outage
    }
    return { allowed, ...rateLimitState(state.local.bucket.available(now), state.budget) };
  }

  /** The key's tokens as this process can tell: those it holds, and the shared bucket's level as last seen, refilled since. */
  private estimate(state: KeyState, now: number): number {
    return this.held(state, now) + refilled(state.levelSeen, state.budget, now - state.seenAt);
  }

  private headersFor(state: KeyState, now: number): RateLimitState {
    return rateLimitState(this.estimate(state, now), state.budget);
  }

  private evictOne(): void {
    for (const [key, state] of this.keys) {
      if (!state.leasing && state.waiters.length === 0) {
        this.keys.delete(key);
        return;
      }
    }
  }
}
