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

export interface FoundItem {
  id: number;
  /** This statement inserted it (and holds its row lock until commit). */
  inserted: boolean;
  /** As stored (for a new item: as sent). */
  stored: ItemFacts;
}

/** The items as parallel arrays, for unnest(): SKUs, types, titles, costs. */
const columns = (items: readonly ItemFacts[]) => [
  items.map((item) => item.sku),
  items.map((item) => item.type),
  items.map((item) => item.title),
  items.map((item) => centsToDecimal(item.costCents)),
];

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
   * The store's items by SKU (one entry per item, same order; SKUs distinct), inserting those that are
   * new as sent — one round trip for new items and for items committed before this statement. Takes
   * no lock on an existing item (an unchanged re-send need not queue behind other POSTs of it); the
   * caller `update`s the ones that differ. Hand-written because the unit of work can only
   * read-then-insert, a race under concurrent first POSTs: ON CONFLICT DO NOTHING waits for a
   * concurrent insert of the same SKU to settle (in SKU order, so two batches cannot deadlock). When
   * that insert committed after this statement's snapshot, a second statement reads it.
   */
  async insertOrFind(storeId: number, items: readonly ItemFacts[]): Promise<FoundItem[]> {
    // One item (every single POST) gets a plain statement; many get unnest() arrays. Measured: the
    // array form costs a single POST about 0.3 ms more PostgreSQL CPU, and PostgreSQL's CPU is what
    // limits POST throughput here (docs/performance.md).
    if (items.length === 1) return [await this.insertOrFindOne(storeId, items[0])];
    const rows = await this.sql.query<ItemRow & { inserted: boolean }>(
      `WITH sent AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::numeric[]) AS s(sku, type, title, cost)),
            created AS (
              INSERT INTO item (store_id, sku, type, title, cost) SELECT ?, sku, type, title, cost FROM sent ORDER BY sku
              ON CONFLICT (store_id, sku) DO NOTHING RETURNING id, sku, type, title, cost)
       SELECT id, sku, type, title, cost, true AS inserted FROM created
       UNION ALL
       SELECT i.id, i.sku, i.type, i.title, i.cost, false FROM item i
       WHERE i.store_id = ? AND i.sku = ANY (?::text[]) AND NOT EXISTS (SELECT 1 FROM created c WHERE c.sku = i.sku)`,
      [...columns(items), storeId, storeId, items.map((item) => item.sku)],
    );
    const bySku = new Map(rows.map((row) => [row.sku, row]));
    const unseen = items.filter((item) => !bySku.has(item.sku)).map((item) => item.sku);
    if (unseen.length > 0) {
      for (const row of await this.sql.query<ItemRow & { inserted: boolean }>(
        `${SELECT_ITEM}, false AS inserted FROM item WHERE store_id = ? AND sku = ANY (?::text[])`,
        [storeId, unseen],
      )) {
        bySku.set(row.sku, row);
      }
    }
    return items.map((item) => {
      const row = bySku.get(item.sku);
      if (!row) throw new Error(`item ${item.sku} of store ${storeId} neither inserted nor found`);
      return { id: Number(row.id), inserted: row.inserted, stored: toFacts(row) };
    });
  }

  private async insertOrFindOne(storeId: number, item: ItemFacts): Promise<FoundItem> {
    const [row] = await this.sql.query<ItemRow & { inserted: boolean }>(
      `WITH created AS (
         INSERT INTO item (store_id, sku, type, title, cost) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (store_id, sku) DO NOTHING RETURNING id, sku, type, title, cost)
       SELECT id, sku, type, title, cost, true AS inserted FROM created
       UNION ALL
       SELECT id, sku, type, title, cost, false FROM item WHERE store_id = ? AND sku = ? AND NOT EXISTS (SELECT 1 FROM created)`,
      [storeId, item.sku, item.type, item.title, centsToDecimal(item.costCents), storeId, item.sku],
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
   * Makes these items as sent (latest POST wins). Locks their rows until commit (in id order, so
   * concurrent batches cannot deadlock), which serialises concurrent changes of one item, so its plan
   * set is replaced by one transaction at a time. `updated_at` moves only when something changed.
   */
  async update(items: readonly { id: number; facts: ItemFacts }[]): Promise<void> {
    const sorted = [...items].sort((a, b) => a.id - b.id);
    const ids = sorted.map((item) => item.id);
    if (sorted.length > 1) await this.sql.query('SELECT id FROM item WHERE id = ANY (?::bigint[]) ORDER BY id FOR UPDATE', [ids]);
    const [, types, titles, costs] = columns(sorted.map((item) => item.facts));
    await this.sql.query(
      `UPDATE item SET type = v.type, title = v.title, cost = v.cost,
         updated_at = CASE WHEN (item.type, item.title, item.cost) IS DISTINCT FROM (v.type, v.title, v.cost)
                           THEN now() ELSE item.updated_at END
       FROM unnest(?::bigint[], ?::text[], ?::text[], ?::numeric[]) AS v(id, type, title, cost)
       WHERE item.id = v.id`,
      [ids, types, titles, costs],
    );
  }
}
