import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';
import { centsFromDecimal, centsToDecimal, type Cents } from '../common/money.js';

export interface ItemFacts {
  sku: string;
  type: string;
  title: string;
  costCents: Cents;
}

interface ItemRow {
  id: string;
  sku: string;
  type: string;
  title: string;
  cost: string;
  [column: string]: unknown;
}

const SELECT_ITEM = 'SELECT id, sku, type, title, cost';

const toFacts = (row: ItemRow): ItemFacts => ({
  sku: row.sku,
  type: row.type,
  title: row.title,
  costCents: centsFromDecimal(String(row.cost)),
});

/** The item table. */
@Injectable()
export class ItemRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * The store's item by SKU, inserting it as sent when it is new, in one round trip for a new item and
   * for an item committed before this statement. Takes no lock on an existing item (an unchanged
   * re-send need not queue behind other POSTs of the item); the caller `update`s it when it differs.
   * Hand-written because the unit of work can only read-then-insert, a race under concurrent first
   * POSTs: ON CONFLICT DO NOTHING waits for a concurrent insert of the same SKU to settle. When that
   * insert committed after this statement's snapshot, a second statement reads it.
   */
  async insertOrFind(storeId: number, item: ItemFacts): Promise<{ id: number; inserted: boolean; stored: ItemFacts }> {
    const cost = centsToDecimal(item.costCents);
    const [row] = await this.sql.query<ItemRow & { inserted: boolean }>(
      `WITH created AS (
         INSERT INTO item (store_id, sku, type, title, cost) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (store_id, sku) DO NOTHING RETURNING id, sku, type, title, cost)
       SELECT id, sku, type, title, cost, true AS inserted FROM created
       UNION ALL
       SELECT id, sku, type, title, cost, false FROM item WHERE store_id = ? AND sku = ? AND NOT EXISTS (SELECT 1 FROM created)`,
      [storeId, item.sku, item.type, item.title, cost, storeId, item.sku],
    );
    const found =
      row ??
      (
        await this.sql.query<ItemRow & { inserted: boolean }>(
          `${SELECT_ITEM}, false AS inserted FROM item WHERE store_id = ? AND sku = ?`,
          [storeId, item.sku],
        )
      )[0];
    if (!found) throw new Error(`item ${item.sku} of store ${storeId} neither inserted nor found`);
    return { id: Number(found.id), inserted: found.inserted, stored: toFacts(found) };
  }

  /**
   * Makes the item as sent (latest POST wins). Locks the item row until commit, which serialises
   * concurrent changes of one item, so its plan set is replaced by one transaction at a time.
   * `updated_at` moves only when something changed.
   */
  async update(id: number, item: ItemFacts): Promise<void> {
    await this.sql.query(
      `UPDATE item SET type = ?::text, title = ?::text, cost = ?::numeric,
         updated_at = CASE WHEN (type, title, cost) IS DISTINCT FROM (?::text, ?::text, ?::numeric) THEN now() ELSE updated_at END
       WHERE id = ?`,
      [item.type, item.title, centsToDecimal(item.costCents), item.type, item.title, centsToDecimal(item.costCents), id],
    );
  }
}
