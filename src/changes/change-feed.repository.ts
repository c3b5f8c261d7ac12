import { Injectable } from '@nestjs/common';
import { centsFromDecimal } from '../common/money.js';
import { Sql } from '../database/sql.js';
import type { Warranty } from '../warranties/warranty.js';
import type { ChangePosition } from './change-cursor.js';
import type { ItemChange } from './item-change.js';

interface ChangeRow {
  id: string;
  store_id: string;
  store_uuid: string;
  sku: string;
  type: string;
  title: string;
  cost: string;
  pricing_version: string | null;
  change_xid: string;
  created: boolean;
  changed_at: Date;
  plan_ids: string[] | null;
  durations: number[] | null;
  prices: string[] | null;
  versions: string[] | null;
  plans_created_at: Date[] | null;
  plans_updated_at: Date[] | null;
  [column: string]: unknown;
}

/** Each plan column of an item, aggregated in one order (by duration), so the arrays line up. */
const PLAN_ARRAYS = [
  ['w.id', 'plan_ids'],
  ['w.duration_months', 'durations'],
  ['w.price', 'prices'],
  ['w.pricing_version', 'versions'],
  ['w.created_at', 'plans_created_at'],
  ['w.updated_at', 'plans_updated_at'],
]
  .map(([column, name]) => `array_agg(${column} ORDER BY w.duration_months) AS ${name}`)
  .join(', ');

function toItemChange(row: ChangeRow): ItemChange {
  const itemCostCents = centsFromDecimal(String(row.cost));
  const warranties = (row.plan_ids ?? []).map((id, k): Warranty => ({
    id: Number(id),
    storeId: Number(row.store_id),
    storeUuid: row.store_uuid,
    itemSku: row.sku,
    itemType: row.type,
    itemTitle: row.title,
    itemCostCents,
    priceCents: centsFromDecimal(String(row.prices![k])),
    durationMonths: Number(row.durations![k]),
    pricingVersion: row.versions![k],
    createdAt: new Date(row.plans_created_at![k]),
    updatedAt: new Date(row.plans_updated_at![k]),
  }));
  return {
    change: row.created ? 'created' : 'updated',
    changedAt: new Date(row.changed_at),
    position: { xid: row.change_xid, itemId: Number(row.id) },
    storeUuid: row.store_uuid,
    itemSku: row.sku,
    itemType: row.type,
    itemTitle: row.title,
    itemCostCents,
    // Null only on a row an older build wrote: its plans carry the version.
    pricingVersion: row.pricing_version ?? warranties[0]?.pricingVersion ?? '',
    warranties,
  };
}

/**
 * The change feed's read model: items after a position, in position order, each with its store and its
 * plans. One statement, so an item's fields and plans come from one snapshot (two statements could pair
 * fields of one change with plans of the next), and a page is one round trip. It reads the item's change
 * position, which the items module writes (ItemRepository), and the plan and store tables by their public
 * columns, as the GET page does.
 *
 * Never skipping a change: positions are `(change_xid, id)`, change_xid being the writing transaction's
 * id. Transactions commit in any order, so a position is handed out only once no transaction can still
 * fill one before it: only items whose change_xid is below the statement's own snapshot horizon
 * (`pg_snapshot_xmin(pg_current_snapshot())`, the oldest transaction still running; every one before it
 * has ended, and its rows are visible to this very snapshot), and every transaction still running or yet
 * to start has an id at or above it — so whatever commits later lands after every cursor given out.
 */
@Injectable()
export class ChangeFeedRepository {
  constructor(private readonly sql: Sql) {}

  /** Up to `limit` changed items after `after`, oldest position first; only `storeUuid`'s when given. */
  async after(after: ChangePosition, limit: number, storeUuid?: string): Promise<ItemChange[]> {
    const params: unknown[] = [after.xid, after.itemId];
    let store = '';
    if (storeUuid !== undefined) {
      store = 'AND i.store_id = (SELECT id FROM store WHERE uuid = ?)';
      params.push(storeUuid);
    }
    const rows = await this.sql.query<ChangeRow>(
      `SELECT i.id, i.store_id, s.uuid AS store_uuid, i.sku, i.type, i.title, i.cost, i.pricing_version,
              i.change_xid::text AS change_xid, i.created_xid = i.change_xid AS created, i.changed_at, p.*
       FROM item i
       JOIN store s ON s.id = i.store_id
       LEFT JOIN LATERAL (SELECT ${PLAN_ARRAYS} FROM warranty w WHERE w.item_id = i.id) p ON true
       WHERE (i.change_xid, i.id) > (?::xid8, ?::bigint)
         AND i.change_xid < pg_snapshot_xmin(pg_current_snapshot())
         ${store}
       ORDER BY i.change_xid, i.id
       LIMIT ?`,
      [...params, limit],
    );
    return rows.map(toItemChange);
  }
}
