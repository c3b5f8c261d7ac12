import type { OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { Sql } from '../database/sql.js';
import type { Budget } from './budget.js';

/** One key's share of a lease round: take up to `want` tokens from its bucket. */
export interface LeaseAsk {
  keyPrefix: string;
  budget: Budget;
  want: number;
}

/** What the bucket gave: `granted` whole tokens, and the level it was left at (fractions included). */
export interface LeaseGrant {
  granted: number;
  levelAfter: number;
}

/**
 * One statement for a whole round: each key's bucket is created full on first use, refilled by the time
 * elapsed on the database's clock (so instances' clocks do not matter), and gives min(want, whole tokens
 * it holds). Rows are taken in key order, so two instances' rounds cannot deadlock each other.
 * `granted` is stored so RETURNING can tell it; `excluded.granted` carries the ask, already ≤ burst.
 */
const LEASE_SQL = `
  INSERT INTO rate_limit_bucket AS b (key_prefix, rate, burst, tokens, granted, refilled_at)
  SELECT w.key_prefix, w.rate, w.burst, w.burst - least(w.want, w.burst), least(w.want, w.burst), now()
    FROM unnest(?::varchar[], ?::int[], ?::int[], ?::int[]) AS w (key_prefix, rate, burst, want)
   ORDER BY w.key_prefix
  ON CONFLICT (key_prefix) DO UPDATE SET
    rate = excluded.rate,
    burst = excluded.burst,
    granted = least(excluded.granted,
                    floor(least(excluded.burst, b.tokens + b.rate * greatest(0, extract(epoch FROM now() - b.refilled_at)::float8)))),
    tokens = least(excluded.burst, b.tokens + b.rate * greatest(0, extract(epoch FROM now() - b.refilled_at)::float8))
           - least(excluded.granted,
                   floor(least(excluded.burst, b.tokens + b.rate * greatest(0, extract(epoch FROM now() - b.refilled_at)::float8)))),
    refilled_at = greatest(b.refilled_at, now())
  RETURNING b.key_prefix, b.granted, b.tokens`;

/** How long a lease may take before the instance serves from its local share instead (README, Access). */
const LEASE_TIMEOUT_MS = 1_000;

/**
 * The rate_limit_bucket table, on a connection of its own (a pool of one, made with the service's
 * connection settings): leases never queue behind requests for a pooled connection, and a lease that
 * cannot be had within about a second fails fast rather than holding requests.
 */
export class RateLimitBucketRepository implements OnApplicationShutdown {
  private readonly sql: Sql;

  constructor(private readonly pool: pg.Pool) {
    pool.on('error', () => undefined); // an idle connection that dies is replaced on the next lease
    this.sql = new Sql(pool);
  }

  /** Builds the repository's own pool from the service pool's settings. */
  static over(servicePool: pg.Pool & { options: pg.PoolConfig }): RateLimitBucketRepository {
    const options = servicePool.options;
    return new RateLimitBucketRepository(
      new pg.Pool({
        ...options,
        // pg-pool keeps `password` non-enumerable (out of stack traces), so a spread alone would drop it.
        password: options.password,
        max: 1,
        min: 0,
        application_name: 'warranty-service rate limits',
        connectionTimeoutMillis: LEASE_TIMEOUT_MS,
        statement_timeout: LEASE_TIMEOUT_MS,
        query_timeout: LEASE_TIMEOUT_MS + 500,
      }),
    );
  }

  /** Takes what each ask can have, in one statement; keys must be distinct. */
  async lease(asks: readonly LeaseAsk[]): Promise<Map<string, LeaseGrant>> {
    const rows = await this.sql.query<{ key_prefix: string; granted: number; tokens: number }>(LEASE_SQL, [
      asks.map((ask) => ask.keyPrefix),
      asks.map((ask) => ask.budget.rate),
      asks.map((ask) => ask.budget.burst),
      asks.map((ask) => Math.max(0, Math.min(ask.want, ask.budget.burst))),
    ]);
    return new Map(rows.map((row) => [row.key_prefix, { granted: row.granted, levelAfter: row.tokens }]));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
