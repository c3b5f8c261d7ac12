import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { CommitOutcomeUnknownError, isDatabaseUnavailable } from './database-errors.js';
import type { DatabaseOutage } from './database-outage.js';

export type Row = Record<string, unknown>;

/**
 * BEGIN, and the transaction's id in the same simple query (no round trip of its own). Prepared once per
 * connection (in that connection's first BEGIN): measured, EXECUTE costs PostgreSQL ~10 µs of CPU per
 * transaction where a plain SELECT, parsed and planned every time, costs ~30 µs.
 */
const PREPARE_XACT_ID = 'PREPARE sql_current_xact_id AS SELECT pg_current_xact_id()::text AS xid';
const BEGIN = 'BEGIN; EXECUTE sql_current_xact_id';

/** `promise`, or a rejection once `deadline` (epoch ms) has passed. */
function beforeDeadline<T>(deadline: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('deadline passed')), deadline - Date.now())));
  promise.catch(() => undefined); // a late failure, after the deadline won, is nobody's business
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export interface SqlOptions {
  /** How long to keep asking whether a COMMIT whose reply was lost committed (default 5000 ms). */
  outcomeTimeoutMs?: number;
}

interface OpenTransaction {
  client: PoolClient;
  afterCommit: (() => void)[];
  /** Set when the transaction ends: timers and promises started inside it outlive it with its context. */
  closed: boolean;
}

/** What an ORM query (em.execute, the ORM's Kysely, the unit of work) meets inside an open Sql transaction. */
export class QueryOutsideTransactionError extends Error {
  constructor() {
    super('A query on the pool ran inside an open Sql transaction and would not have joined it: query through Sql.query there');
  }
}

/**
 * The hot statements the ORM cannot express race-free in one round trip (`INSERT … ON CONFLICT …
 * RETURNING`, keyset pages), on the pool MikroORM configures: prepared once per connection, and a
 * connection that failed mid-transaction is destroyed, never left checked out (why not the ORM's
 * connection: README "Architecture"). Transactions are ambient (AsyncLocalStorage); the ORM's paths
 * refuse to run inside one (QueryOutsideTransactionError). Placeholders are `?`: never a literal `?`.
 */
export class Sql {
  private readonly open = new AsyncLocalStorage<OpenTransaction>();
  /** `?`-placeholder SQL → prepared statement (name + `$n` text); the service has a few dozen shapes. */
  private readonly statements = new Map<string, { name: string; text: string }>();

  private readonly outcomeTimeoutMs: number;
  private readonly logger = new Logger('Database');
  /** Connections whose session has sql_current_xact_id prepared. */
  private readonly xactIdPrepared = new WeakSet<PoolClient>();

  constructor(
    private readonly pool: Pool | Promise<Pool>,
    /** Told when statements succeed again, to close an outage in the logs. */
    private readonly outage?: DatabaseOutage,
    options: SqlOptions = {},
  ) {
    this.outcomeTimeoutMs = options.outcomeTimeoutMs ?? 5000;
    // A pool that never comes is reported by the first query that awaits it; here it must not be an unhandled rejection.
    Promise.resolve(pool).then(
      (resolved) => this.refuseOtherPathsInTransaction(resolved),
      () => undefined,
    );
  }

  /** The transaction this async context runs in, while it is open. */
  private current(): OpenTransaction | undefined {
    const transaction = this.open.getStore();
    return transaction && !transaction.closed ? transaction : undefined;
  }

  /**
   * Every other path to the database takes a connection from this pool (pg's `pool.query` too): inside
   * an open transaction, that connection is refused. Sql's own statements there use the transaction's.
   */
  private refuseOtherPathsInTransaction(pool: Pool): void {
    const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => Promise<PoolClient> | undefined;
    pool.connect = ((callback?: (...args: unknown[]) => void) => {
      if (!this.current()) return connect(callback);
      const error = new QueryOutsideTransactionError();
      if (!callback) return Promise.reject(error);
      callback(error);
      return undefined;
    }) as Pool['connect'];
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const statement: QueryConfig = { ...this.prepare(sql), values: [...params] };
    const runner = this.current()?.client ?? (await this.pool);
    const result = await runner.query<T>(statement);
    this.outage?.recovered();
    return result.rows;
  }

  /**
   * Runs `work` in one transaction; every `query` and `afterCommit` inside it joins it (a nested call
   * joins the open one). `afterCommit` callbacks run once COMMIT has succeeded, never on rollback.
   * When COMMIT was sent but the connection broke before its reply came, another connection asks
   * PostgreSQL what became of the transaction (`committedOrNot`): committed, it is a success like any
   * other; not committed, the original error; not learned within the bound, CommitOutcomeUnknownError.
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.current()) return work();
    const client = await (await this.pool).connect();
    const transaction: OpenTransaction = { client, afterCommit: [], closed: false };
    let xid: string | undefined;
    let committing = false;
    let broken: Error | undefined;
    let failure: { error: unknown } | undefined;
    let result: T;
    try {
      // The transaction's id, in BEGIN's own round trip, for when COMMIT's reply is lost.
      const first = !this.xactIdPrepared.has(client);
      const begun = (await client.query(first ? `${PREPARE_XACT_ID}; ${BEGIN}` : BEGIN).catch((error: unknown) => {
        // Half a first BEGIN would leave the statement prepared but not noted: never reuse that session.
        if (first) broken = error as Error;
        throw error;
      })) as unknown as QueryResult<{ xid: string }>[];
      this.xactIdPrepared.add(client);
      xid = begun.at(-1)!.rows[0].xid;
      result = await this.open.run(transaction, work);
      committing = true;
      await client.query('COMMIT');
    } catch (error) {
      if (isDatabaseUnavailable(error)) broken = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      failure = { error };
    } finally {
      transaction.closed = true;
      // A client whose connection failed is destroyed by the pool instead of being reused.
      client.release(broken);
    }
    if (failure) {
      // Only a COMMIT whose connection broke has an unknown outcome; an error PostgreSQL answered means rolled back.
      if (!committing || !broken || xid === undefined) throw failure.error;
      const committed = await this.committedOrNot(xid, (client as PoolClient & { processID: number }).processID);
      this.logger.warn({
        message: 'COMMIT reply lost',
        outcome: committed === undefined ? 'unknown' : committed ? 'committed' : 'rolled back',
        xid,
        error: (failure.error as Error).message,
      });
      if (committed === undefined) {
        throw new CommitOutcomeUnknownError(`COMMIT sent, its reply lost, its outcome unknown after ${this.outcomeTimeoutMs} ms`, {
          cause: failure.error,
        });
      }
      if (!committed) throw failure.error;
    }
    for (const callback of transaction.afterCommit) callback();
    return result!;
  }

  /**
   * Whether transaction `xid` committed, asked on another connection until `outcomeTimeoutMs` has
   * passed (undefined then). A transaction still in progress is one whose backend has not processed
   * the COMMIT (or never got it): that backend (`backendPid`, still running `xid`) is ended, after
   * which PostgreSQL's answer is final — committed, or aborted.
   */
  private async committedOrNot(xid: string, backendPid: number): Promise<boolean | undefined> {
    const deadline = Date.now() + this.outcomeTimeoutMs;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      try {
        const [{ status }] = await beforeDeadline(
          deadline,
          this.query<{ status: string | null }>('SELECT pg_xact_status(?::xid8) AS status', [xid]),
        );
        if (status === 'committed') return true;
        if (status === 'aborted') return false;
        if (status === null) return undefined; // too old to tell: never after a few seconds
        await beforeDeadline(
          deadline,
          this.query('SELECT pg_terminate_backend(pid, 1000) FROM pg_stat_activity WHERE pid = ? AND backend_xid = ?::xid8::xid', [
            backendPid,
            xid,
          ]),
        );
        continue;
      } catch {
        // The database cannot be asked right now: ask again, until the deadline.
      }
      await sleep(Math.min(25 * 2 ** attempt, 500, Math.max(0, deadline - Date.now())));
    }
    return undefined;
  }

  /** Calls `callback` after the open transaction commits (right away when there is none). */
  afterCommit(callback: () => void): void {
    const transaction = this.current();
    if (transaction) transaction.afterCommit.push(callback);
    else callback();
  }

  private prepare(sql: string): { name: string; text: string } {
    let statement = this.statements.get(sql);
    if (!statement) {
      let n = 0;
      statement = { name: `s${this.statements.size + 1}`, text: sql.replace(/\?/g, () => `$${++n}`) };
      if (this.statements.size < 1000) this.statements.set(sql, statement);
      else statement = { name: '', text: statement.text };
    }
    return statement;
  }
}
