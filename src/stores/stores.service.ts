import { Injectable } from '@nestjs/common';
import { Database, type DbTransaction } from '../database/database.js';

const MAX_CACHED_STORES = 100_000;

@Injectable()
export class StoresService {
  /**
   * store_uuid → id of stores already committed. Stores are never deleted or renamed, so an entry
   * never goes stale; only ids read from committed rows go in (never one inserted by a transaction
   * that might still roll back). Saves a round trip on nearly every POST.
   */
  private readonly knownIds = new Map<string, number>();

  constructor(private readonly db: Database) {}

  /**
   * The store's id, creating the store on first sight. Race-free without locking the store row
   * (so a store's concurrent POSTs for different items don't queue behind each other): ON CONFLICT
   * DO NOTHING waits for a concurrent insert of the same uuid to settle.
   */
  async ensure(tx: DbTransaction, storeUuid: string): Promise<number> {
    const known = this.knownIds.get(storeUuid);
    if (known !== undefined) return known;
    const rows = await this.db.query<{ id: string; committed: boolean }>(
      `WITH existing AS (SELECT id FROM store WHERE uuid = ?),
            created AS (
              INSERT INTO store (uuid) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM existing)
              ON CONFLICT (uuid) DO NOTHING RETURNING id)
       SELECT id, true AS committed FROM existing UNION ALL SELECT id, false FROM created`,
      [storeUuid, storeUuid],
      tx,
    );
    if (rows.length > 0) {
      const id = Number(rows[0].id);
      if (rows[0].committed) this.remember(storeUuid, id);
      return id;
    }
    // Another transaction committed the same store after this statement's snapshot was taken:
    // a new statement sees it.
    const again = await this.db.query<{ id: string }>('SELECT id FROM store WHERE uuid = ?', [storeUuid], tx);
    if (again.length === 0) throw new Error(`store ${storeUuid} neither inserted nor found`);
    this.remember(storeUuid, Number(again[0].id));
    return Number(again[0].id);
  }

  private remember(storeUuid: string, id: number): void {
    // Oldest-first eviction keeps memory bounded; a miss only costs the round trip we save otherwise.
    if (this.knownIds.size >= MAX_CACHED_STORES) this.knownIds.delete(this.knownIds.keys().next().value!);
    this.knownIds.set(storeUuid, id);
  }
}
