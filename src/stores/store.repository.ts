import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';

export interface StoreRow {
  id: number;
  /** False when this transaction inserted the store (it may still roll back). */
  committed: boolean;
}

/** The store table. */
@Injectable()
export class StoreRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * The store's row, inserting it on first sight, in one round trip. Hand-written because the unit of
   * work can only read-then-insert (a race under concurrent first POSTs); ON CONFLICT DO NOTHING waits
   * for a concurrent insert of the same uuid to settle and takes no lock on an existing store row, so
   * a store's concurrent POSTs for different items don't queue behind each other. Undefined when
   * another transaction committed the store after this statement's snapshot: `findId` then sees it.
   */
  async insertOrFind(uuid: string): Promise<StoreRow | undefined> {
    const [row] = await this.sql.query<{ id: string; committed: boolean }>(
      `WITH existing AS (SELECT id FROM store WHERE uuid = ?),
            created AS (
              INSERT INTO store (uuid) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM existing)
              ON CONFLICT (uuid) DO NOTHING RETURNING id)
       SELECT id, true AS committed FROM existing UNION ALL SELECT id, false FROM created`,
      [uuid, uuid],
    );
    return row && { id: Number(row.id), committed: row.committed };
  }

  async findId(uuid: string): Promise<number | undefined> {
    const [row] = await this.sql.query<{ id: string }>('SELECT id FROM store WHERE uuid = ?', [uuid]);
    return row && Number(row.id);
  }
}
