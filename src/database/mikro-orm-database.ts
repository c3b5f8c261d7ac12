import { Injectable } from '@nestjs/common';
import { MikroORM, type Transaction } from '@mikro-orm/postgresql';
import { Database, type DbTransaction, type Row } from './database.js';

/**
 * Database on MikroORM's connection. The hot paths here are set-based statements (INSERT … ON CONFLICT,
 * keyset reads) that the unit of work cannot express without read-then-write races and per-row
 * round trips, so they go as SQL through the ORM's own connection, pool and transaction handling.
 */
@Injectable()
export class MikroOrmDatabase extends Database {
  constructor(private readonly orm: MikroORM) {
    super();
  }

  private get connection() {
    return this.orm.em.getConnection();
  }

  override async query<T extends Row = Row>(sql: string, params: readonly unknown[] = [], tx?: DbTransaction): Promise<T[]> {
    return (await this.connection.execute(sql, [...params], 'all', tx as unknown as Transaction | undefined)) as T[];
  }

  override transaction<T>(work: (tx: DbTransaction) => Promise<T>): Promise<T> {
    return this.connection.transactional((trx) => work(trx as unknown as DbTransaction));
  }

  override async ping(): Promise<void> {
    await this.connection.execute('SELECT 1');
  }
}
