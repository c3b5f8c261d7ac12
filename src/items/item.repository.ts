import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';
import { centsToDecimal, type Cents } from '../common/money.js';

export interface ItemFacts {
  sku: string;
  type: string;
  title: string;
  costCents: Cents;
}

/** The item table. */
@Injectable()
export class ItemRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Creates or updates the store's item (latest POST wins) and returns its id, in one round trip.
   * Hand-written because the unit of work would read, then insert or update: a race under concurrent
   * first POSTs of one item. The upsert locks the item row until commit, which serialises concurrent
   * POSTs of the same item, so its plan set is replaced by one transaction at a time. `updated_at`
   * moves only when something changed.
   */
  async upsert(storeId: number, item: ItemFacts): Promise<number> {
    const [row] = await this.sql.query<{ id: string }>(
      `INSERT INTO item (store_id, sku, type, title, cost) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (store_id, sku) DO UPDATE SET
         type = EXCLUDED.type, title = EXCLUDED.title, cost = EXCLUDED.cost,
         updated_at = CASE WHEN (item.type, item.title, item.cost) IS DISTINCT FROM (EXCLUDED.type, EXCLUDED.title, EXCLUDED.cost)
                           THEN now() ELSE item.updated_at END
       RETURNING id`,
      [storeId, item.sku, item.type, item.title, centsToDecimal(item.costCents)],
    );
    return Number(row.id);
  }
}
