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

/** An item of a store, as sent. */
export interface StoreItem {
  storeId: number;
  facts: ItemFacts;
}

/** The items as parallel arrays, for unnest(): types, titles, costs. */
const columns = (items: readonly ItemFacts[]) => [
  items.map((item) => item.type),
  items.map((item) => item.title),
  items.map((item) => centsToDecimal(item.costCents)),
];

const keyOf = (storeId: number | string, sku: string) => `${storeId}\u0000${sku}`;

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
   * The items (one entry per item, same order; no item twice), inserting those that are new as sent —
   * one round trip for new items and for items committed before this statement, whichever stores they
   * belong to. Takes no lock on an existing item (an unchanged re-send need not queue behind other
   * POSTs of it); the caller `update`s the ones that differ. Hand-written because the unit of work
   * can only read-then-insert, a race under concurrent first POSTs: ON CONFLICT DO NOTHING waits for a
   * concurrent insert of the same item to settle (in store and SKU order, so two groups cannot
   * deadlock). When that insert committed after this statement's snapshot, a second statement reads it.
   */
  async insertOrFind(items: readonly StoreItem[]): Promise<FoundItem[]> {
    // One item (every POST saved alone) gets a plain statement; many get unnest() arrays. Measured: the
    // array form costs a single POST about 0.3 ms more PostgreSQL CPU, and PostgreSQL's CPU is what
    // limits POST throughput here (docs/performance.md).
    if (items.length === 1) return [await this.insertOrFindOne(items[0].storeId, items[0].facts)];
    const storeIds = items.map((item) => item.storeId);
    const skus = items.map((item) => item.facts.sku);
    const rows = await this.sql.query<ItemRow & { store_id: string; inserted: boolean }>(
      `WITH sent AS (SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::numeric[]) AS s(store_id, sku, type, title, cost)),
            created AS (
              INSERT INTO item (store_id, sku, type, title, cost) SELECT store_id, sku, type, title, cost FROM sent ORDER BY store_id, sku
              ON CONFLICT (store_id, sku) DO NOTHING RETURNING id, store_id, sku, type, title, cost)
       SELECT id, store_id, sku, type, title, cost, true AS inserted FROM created
       UNION ALL
       SELECT i.id, i.store_id, i.sku, i.type, i.title, i.cost, false FROM item i JOIN sent s ON i.store_id = s.store_id AND i.sku = s.sku
       WHERE NOT EXISTS (SELECT 1 FROM created c WHERE c.store_id = i.store_id AND c.sku = i.sku)`,
      [storeIds, skus, ...columns(items.map((item) => item.facts))],
    );
    const byKey = new Map(rows.map((row) => [keyOf(row.store_id, row.sku), row]));
    const unseen = items.filter((item) => !byKey.has(keyOf(item.storeId, item.facts.sku)));
    if (unseen.length > 0) {
      for (const row of await this.sql.query<ItemRow & { store_id: string; inserted: boolean }>(
        `SELECT i.id, i.store_id, i.sku, i.type, i.title, i.cost, false AS inserted
         FROM item i JOIN unnest(?::bigint[], ?::text[]) AS s(store_id, sku) ON i.store_id = s.store_id AND i.sku = s.sku`,
        [unseen.map((item) => item.storeId), unseen.map((item) => item.facts.sku)],
      )) {
        byKey.set(keyOf(row.store_id, row.sku), row);
      }
    }
    return items.map((item) => {
      const row = byKey.get(keyOf(item.storeId, item.facts.sku));
      if (!row) throw new Error(`item ${item.facts.sku} of store ${item.storeId} neither inserted nor found`);
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
   * Locks these items' rows until commit, in id order: every writer that locks its items this way,
   * all at once before changing any, takes row locks in one global order, so two writers of the same
   * items queue behind each other instead of deadlocking. FOR NO KEY UPDATE is the lock `update`
   * takes anyway; it leaves the key share a plan's foreign key check takes alone.
   */
  async lock(ids: readonly number[]): Promise<void> {
    await this.sql.query('SELECT id FROM item WHERE id = ANY (?::bigint[]) ORDER BY id FOR NO KEY UPDATE', [[...ids]]);
  }

  /**
   * Makes these items as sent (latest POST wins). Their rows stay locked until commit, which
   * serialises concurrent changes of one item, so its plan set is replaced by one transaction at a
   * time; a caller that changes several items `lock`s them first (the UPDATE itself locks rows in
   * no promised order). `updated_at` moves only when something changed.
   */
  async update(items: readonly { id: number; facts: ItemFacts }[]): Promise<void> {
    const sorted = [...items].sort((a, b) => a.id - b.id);
    const [types, titles, costs] = columns(sorted.map((item) => item.facts));
    await this.sql.query(
      `UPDATE item SET type = v.type, title = v.title, cost = v.cost,
         updated_at = CASE WHEN (item.type, item.title, item.cost) IS DISTINCT FROM (v.type, v.title, v.cost)
                           THEN now() ELSE item.updated_at END
       FROM unnest(?::bigint[], ?::text[], ?::text[], ?::numeric[]) AS v(id, type, title, cost)
       WHERE item.id = v.id`,
      [sorted.map((item) => item.id), types, titles, costs],
    );
  }
}
