import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { isDatabaseUnavailable } from './database-errors.js';
import type { DatabaseOutage } from './database-outage.js';

export type Row = Record<string, unknown>;

interface OpenTransaction {
  client: PoolClient;
  afterCommit: (() => void)[];
}

/**
 * The few hot statements that MikroORM's unit of work cannot express race-free in one round trip
 * (`INSERT … ON CONFLICT … RETURNING`, keyset pages). Each module's repository owns its SQL and
 * runs it here, on the pool MikroORM creates and configures. Why not through the ORM's connection
 * (measured and tested, see README "Architecture"):
 * - statements are prepared once per connection and bound with real parameters; the ORM's
 *   `execute` formats parameters into the SQL text, so PostgreSQL parses every statement anew;
 * - the ORM's transactions (Kysely's ControlledTransaction) never release a connection whose
 *   COMMIT or ROLLBACK failed: a connection lost mid-transaction stays checked out forever, the pool
 *   shrinks and shutdown hangs. Here a connection that failed or timed out is destroyed at once, not
 *   rolled back over the wire (the server rolls back when the connection closes), so a request's
 *   worst case is one acquire wait plus one statement timeout.
 *
 * A transaction is ambient (AsyncLocalStorage): repositories called inside `transaction(work)` join
 * it without a handle being passed through every signature. Placeholders are `?`; never put a
 * literal `?` in SQL text.
 */
export class Sql {
  private readonly open = new AsyncLocalStorage<OpenTransaction>();
  /** `?`-placeholder SQL → prepared statement (name + `$n` text); the service has a few dozen shapes. */
  private readonly statements = new Map<string, { name: string; text: string }>();

  constructor(
    private readonly pool: Pool | Promise<Pool>,
    /** Told when statements succeed again, to close an outage in the logs. */
    private readonly outage?: DatabaseOutage,
  ) {}

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const statement: QueryConfig = { ...this.prepare(sql), values: [...params] };
    const runner = this.open.getStore()?.client ?? (await this.pool);
    const result = await runner.query<T>(statement);
    this.outage?.recovered();
    return result.rows;
  }

  /**
   * Runs `work` in one transaction; every `query` and `afterCommit` inside it joins it (a nested call
   * joins the open one). `afterCommit` callbacks run once COMMIT has succeeded, never on rollback.
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.open.getStore()) return work();
    const client = await (await this.pool).connect();
    const transaction: OpenTransaction = { client, afterCommit: [] };
    let broken: Error | undefined;
    let result: T;
    try {
      await client.query('BEGIN');
      result = await this.open.run(transaction, work);
      await client.query('COMMIT');
    } catch (error) {
      if (isDatabaseUnavailable(error)) broken = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      // A client whose connection failed is destroyed by the pool instead of being reused.
      client.release(broken);
    }
    for (const callback of transaction.afterCommit) callback();
    return result;
  }

  /** Calls `callback` after the open transaction commits (right away when there is none). */
  afterCommit(callback: () => void): void {
    const transaction = this.open.getStore();
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
