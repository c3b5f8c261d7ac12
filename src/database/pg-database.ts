import type { Pool, PoolClient, QueryConfig } from 'pg';
import { Database, type DbTransaction, type Row } from './database.js';
import { isDatabaseUnavailable } from './database-errors.js';

interface PgTransaction {
  client: PoolClient;
}

/**
 * Database on a pg pool. In the service that is the pool MikroORM creates and owns (its config, size
 * and timeouts; see DatabaseModule); the benchmark's ceiling hands in a plain pool to run the very
 * same statements without HTTP, Nest or ORM.
 *
 * The hot paths are a few set-based statements (INSERT … ON CONFLICT, keyset reads) that the unit of
 * work cannot express without read-then-write races and per-row round trips, so they run as SQL.
 * They go to MikroORM's pool directly rather than through its query runner because (measured and
 * tested): statements are prepared once per connection and bound with real parameters instead of being
 * formatted into text, and a transaction whose connection dies hands that connection back as broken —
 * the runner's transactions kept it checked out forever, shrinking the pool and hanging shutdown.
 */
export class PgDatabase extends Database {
  /** `?`-placeholder SQL → prepared statement (name + `$n` text); the service has a few dozen shapes. */
  private readonly statements = new Map<string, { name: string; text: string }>();

  constructor(private readonly pool: Pool | Promise<Pool>) {
    super();
  }

  override async query<T extends Row = Row>(sql: string, params: readonly unknown[] = [], tx?: DbTransaction): Promise<T[]> {
    const statement: QueryConfig = { ...this.prepare(sql), values: [...params] };
    const runner = tx ? (tx as unknown as PgTransaction).client : await this.pool;
    const result = await runner.query<T>(statement);
    return result.rows;
  }

  override async transaction<T>(work: (tx: DbTransaction) => Promise<T>): Promise<T> {
    const client = await (await this.pool).connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work({ client } as unknown as DbTransaction);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      if (!broken && isDatabaseUnavailable(error)) broken = error as Error;
      throw error;
    } finally {
      // A client whose connection failed is destroyed by the pool instead of being reused.
      client.release(broken);
    }
  }

  override async ping(): Promise<void> {
    await this.query('SELECT 1');
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
