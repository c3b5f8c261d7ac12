import { Injectable } from '@nestjs/common';
import { Database, type DbTransaction } from '../database/database.js';
import { centsToDecimal, type Cents } from '../pricing/money.js';

export interface ItemFacts {
  sku: string;
  type: string;
  title: string;
  costCents: Cents;
}

export interface SavedItem {
  id: number;
}

@Injectable()
export class ItemsService {
  constructor(private readonly db: Database) {}

  /**
   * Creates or updates the store's item (latest POST wins). The upsert locks the item row until
   * commit, which serialises concurrent POSTs of the same item, so its plan set is replaced by one
   * transaction at a time. `updated_at` moves only when something changed.
   */
  async upsert(tx: DbTransaction, storeId: number, item: ItemFacts): Promise<SavedItem> {
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO item (store_id, sku, type, title, cost) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (store_id, sku) DO UPDATE SET
         type = EXCLUDED.type, title = EXCLUDED.title, cost = EXCLUDED.cost,
         updated_at = CASE WHEN (item.type, item.title, item.cost) IS DISTINCT FROM (EXCLUDED.type, EXCLUDED.title, EXCLUDED.cost)
                           THEN now() ELSE item.updated_at END
       RETURNING id`,
      [storeId, item.sku, item.type, item.title, centsToDecimal(item.costCents)],
      tx,
    );
    return { id: Number(rows[0].id) };
  }
}
