import { Injectable } from '@nestjs/common';
import { Database, type DbTransaction } from '../database/database.js';

@Injectable()
export class StoresService {
  constructor(private readonly db: Database) {}

  /**
   * The store's id, creating the store on first sight. Race-free without locking the store row
   * (so a store's concurrent POSTs for different items don't queue behind each other): ON CONFLICT
   * DO NOTHING waits for a concurrent insert of the same uuid to settle.
   */
  async ensure(tx: DbTransaction, storeUuid: string): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `WITH existing AS (SELECT id FROM store WHERE uuid = ?),
            created AS (
              INSERT INTO store (uuid) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM existing)
              ON CONFLICT (uuid) DO NOTHING RETURNING id)
       SELECT id FROM existing UNION ALL SELECT id FROM created`,
      [storeUuid, storeUuid],
      tx,
    );
    if (rows.length > 0) return Number(rows[0].id);
    // Another transaction committed the same store after this statement's snapshot was taken:
    // a new statement sees it.
    const again = await this.db.query<{ id: string }>('SELECT id FROM store WHERE uuid = ?', [storeUuid], tx);
    if (again.length === 0) throw new Error(`store ${storeUuid} neither inserted nor found`);
    return Number(again[0].id);
  }
}
