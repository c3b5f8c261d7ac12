import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { centsFromDecimal, centsToDecimal } from '../common/money.js';
import { Sql } from '../database/sql.js';
import type { Quote } from '../pricing/pricing.service.js';
import type { Warranty, WarrantyFilter } from './warranty.js';

/** A plan as the upsert returns it: its own columns, and whether this statement inserted it. */
export interface SavedPlan {
  id: number;
  durationMonths: number;
  priceCents: number;
  pricingVersion: string;
  createdAt: Date;
  updatedAt: Date;
  inserted: boolean;
}

interface PlanRow {
  id: string;
  duration_months: number;
  price: string;
  pricing_version: string;
  created_at: Date;
  updated_at: Date;
  inserted: boolean;
  [column: string]: unknown;
}

const toSavedPlan = (row: PlanRow): SavedPlan => ({
  id: Number(row.id),
  durationMonths: Number(row.duration_months),
  priceCents: centsFromDecimal(String(row.price)),
  pricingVersion: row.pricing_version,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
  inserted: row.inserted,
});

const byDuration = (a: SavedPlan, b: SavedPlan) => a.durationMonths - b.durationMonths;

/** How a plan-set statement upserts: ids kept, `updated_at` moved only by a change; what it returns. */
const UPSERT_PLANS = `ON CONFLICT (item_id, duration_months) DO UPDATE SET
         store_id = EXCLUDED.store_id, item_type = EXCLUDED.item_type, price = EXCLUDED.price,
         pricing_version = EXCLUDED.pricing_version,
         updated_at = CASE WHEN (w.item_type, w.price, w.pricing_version) IS DISTINCT FROM
                                (EXCLUDED.item_type, EXCLUDED.price, EXCLUDED.pricing_version)
                           THEN now() ELSE w.updated_at END
       RETURNING w.item_id, w.id, w.duration_months, w.price, w.pricing_version, w.created_at, w.updated_at, (w.xmax = 0) AS inserted`;

/** Rows of several items' plans → each item's plans, ordered by duration. */
function byItem(rows: readonly (PlanRow & { item_id: string })[]): Map<number, SavedPlan[]> {
  const plans = new Map<number, SavedPlan[]>();
  for (const row of rows) {
    const itemId = Number(row.item_id);
    const list = plans.get(itemId) ?? [];
    list.push(toSavedPlan(row));
    plans.set(itemId, list);
  }
  for (const list of plans.values()) list.sort(byDuration);
  return plans;
}

/** One item's plan set to save: its quote. */
export interface PlanSet {
  itemId: number;
  storeId: number;
  itemType: string;
  quote: Quote;
}

interface WarrantyRow {
  id: string;
  store_id: string;
  store_uuid: string;
  item_sku: string;
  item_type: string;
  item_title: string;
  item_cost: string;
  warranty_price: string;
  warranty_duration_months: number;
  pricing_version: string;
  created_at: Date;
  updated_at: Date;
  [column: string]: unknown;
}

/**
 * A warranty with its item and store: the read model of GET /api/warranties. The one place that reads
 * another module's tables (item, store), by their public columns, so that a page is one statement
 * and one round trip; writes to those tables stay with their modules.
 */
const SELECT_WARRANTY = `
  SELECT w.id, w.store_id, s.uuid AS store_uuid, i.sku AS item_sku, w.item_type, i.title AS item_title,
         i.cost AS item_cost, w.price AS warranty_price, w.duration_months AS warranty_duration_months,
         w.pricing_version, w.created_at, w.updated_at
  FROM warranty w JOIN item i ON i.id = w.item_id JOIN store s ON s.id = w.store_id`;

function toWarranty(row: WarrantyRow): Warranty {
  return {
    id: Number(row.id),
    storeId: Number(row.store_id),
    storeUuid: row.store_uuid,
    itemSku: row.item_sku,
    itemType: row.item_type,
    itemTitle: row.item_title,
    itemCostCents: centsFromDecimal(String(row.item_cost)),
    priceCents: centsFromDecimal(String(row.warranty_price)),
    durationMonths: Number(row.warranty_duration_months),
    pricingVersion: row.pricing_version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The page's optional filters, in the order of their placeholders: each walks one index (see the entity). */
const PAGE_FILTERS = [
  ['afterId', 'w.id > ?'],
  ['storeUuid', 'w.store_id = (SELECT id FROM store WHERE uuid = ?)'],
  ['itemType', 'w.item_type = ?'],
  ['sku', 'w.item_id IN (SELECT id FROM item WHERE sku = ?)'],
] as const satisfies readonly (readonly [keyof WarrantyFilter, string])[];

/**
 * The page statement for one combination of filters (a bit per PAGE_FILTERS entry), built once: the
 * same string every time, so Sql finds its prepared statement without hashing a new one per request.
 */
const pageStatements: string[] = [];
function pageStatement(shape: number): string {
  let statement = pageStatements[shape];
  if (statement === undefined) {
    const conditions = PAGE_FILTERS.filter((_, bit) => shape & (1 << bit)).map(([, condition]) => condition);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    statement = pageStatements[shape] = `${SELECT_WARRANTY} ${where} ORDER BY w.id LIMIT ?`;
  }
  return statement;
}

/** The warranty table. */
@Injectable()
export class WarrantyRepository {
  constructor(
    private readonly sql: Sql,
    private readonly em: EntityManager,
  ) {}

  /**
   * Makes each item's plans exactly its quoted ones: drops durations no longer offered, upserts the
   * rest (ids kept) — for every item at once, in one statement and one round trip (the unit of work
   * would read, diff and write plan by plan). The delete and the upsert touch disjoint rows (durations
   * not offered vs offered), and the item row locks taken before already serialise concurrent writers
   * of one item. Items must be distinct. Each item's plans come back ordered by duration.
   */
  async replacePlans(entries: readonly PlanSet[]): Promise<Map<number, SavedPlan[]>> {
    // One item (every single POST) gets a plain statement; many get unnest() arrays (see ItemRepository.insertOrFind).
    if (entries.length === 1) return this.replacePlansOfOne(entries[0]);
    const plans = entries.flatMap((entry) =>
      entry.quote.plans.map((plan) => ({ ...entry, durationMonths: plan.durationMonths, price: centsToDecimal(plan.priceCents) })),
    );
    const rows = await this.sql.query<PlanRow & { item_id: string }>(
      `WITH sent AS (
         SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::smallint[], ?::numeric[], ?::text[])
           AS s(item_id, store_id, item_type, duration_months, price, pricing_version)),
       stale AS (
         DELETE FROM warranty w WHERE w.item_id = ANY (?::bigint[])
           AND NOT EXISTS (SELECT 1 FROM sent s WHERE s.item_id = w.item_id AND s.duration_months = w.duration_months))
       INSERT INTO warranty AS w (item_id, store_id, item_type, duration_months, price, pricing_version)
       SELECT item_id, store_id, item_type, duration_months, price, pricing_version FROM sent ORDER BY item_id, duration_months
       ${UPSERT_PLANS}`,
      [
        plans.map((plan) => plan.itemId),
        plans.map((plan) => plan.storeId),
        plans.map((plan) => plan.itemType),
        plans.map((plan) => plan.durationMonths),
        plans.map((plan) => plan.price),
        plans.map((plan) => plan.quote.pricingVersion),
        entries.map((entry) => entry.itemId),
      ],
    );
    return byItem(rows);
  }

  private async replacePlansOfOne({ itemId, storeId, itemType, quote }: PlanSet): Promise<Map<number, SavedPlan[]>> {
    const values: unknown[] = [itemId, quote.plans.map((plan) => plan.durationMonths)];
    const tuples = quote.plans.map((plan) => {
      values.push(itemId, storeId, itemType, plan.durationMonths, centsToDecimal(plan.priceCents), quote.pricingVersion);
      return '(?::bigint, ?::bigint, ?, ?::smallint, ?::numeric, ?)';
    });
    const rows = await this.sql.query<PlanRow & { item_id: string }>(
      `WITH stale AS (DELETE FROM warranty WHERE item_id = ? AND NOT (duration_months = ANY (?::smallint[])))
       INSERT INTO warranty AS w (item_id, store_id, item_type, duration_months, price, pricing_version)
       VALUES ${tuples.join(', ')}
       ${UPSERT_PLANS}`,
      values,
    );
    return byItem(rows);
  }

  /** The items' plans as stored, each ordered by duration (a read: no lock). */
  async plansOf(itemIds: readonly number[]): Promise<Map<number, SavedPlan[]>> {
    const rows = await this.sql.query<PlanRow & { item_id: string }>(
      `SELECT item_id, id, duration_months, price, pricing_version, created_at, updated_at, false AS inserted
       FROM warranty WHERE item_id = ANY (?::bigint[])`,
      [itemIds],
    );
    return byItem(rows);
  }

  /**
   * A keyset page ordered by id: each filter walks one index from `afterId` (see the entity), so the
   * cost of a page does not depend on its depth. Hand-written and prepared: it is GET's hot path.
   */
  async page(filter: WarrantyFilter): Promise<Warranty[]> {
    let shape = 0;
    const params: unknown[] = [];
    PAGE_FILTERS.forEach(([field], bit) => {
      const value = filter[field];
      if (value === undefined) return;
      shape |= 1 << bit;
      params.push(value);
    });
    params.push(filter.limit);
    const rows = await this.sql.query<WarrantyRow>(pageStatement(shape), params);
    return rows.map(toWarranty);
  }

  /** One warranty by id: a cold path, so through the EntityManager rather than a prepared statement. */
  async findById(id: number): Promise<Warranty | undefined> {
    const [row] = await this.em.execute<WarrantyRow[]>(`${SELECT_WARRANTY} WHERE w.id = ?`, [id]);
    return row ? toWarranty(row) : undefined;
  }
}
