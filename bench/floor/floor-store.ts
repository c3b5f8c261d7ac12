import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { archiveKey } from '../../src/archive/archive-key.js';
import { centsFromAmount, centsToDecimal } from '../../src/common/money.js';
import { priceItem } from '../../src/pricing/price-item.js';
import { SHIPPED_PRICING } from '../../src/pricing/pricing-rules.js';
import { encodeCursor } from '../../src/warranties/page-cursor.js';

/**
 * The floor's database work, written the plain way on `pg` (named statements, prepared once per
 * connection, one client per transaction). The statements are the service's own, copied on purpose
 * (StoreRepository.insertOrFind, ItemRepository.insertOrFindOne/update, WarrantyRepository.page and
 * replacePlans for one item, ArchiveRecordRepository.insertOne): the floor is a fixed yardstick, so
 * PostgreSQL does the same work for both and the comparison is the Node side. The bench checks at
 * start-up that the floor answers and stores exactly what the service does (floor-rows.ts).
 */

/** Request ids of the floor's outbox rows: the bench marks them archived after each row (nothing uploads them). */
export const FLOOR_REQUEST_PREFIX = 'bench-floor-';

/** The POST body; the floor trusts it (no validation: that is part of what the floor leaves out). */
export interface FloorItem {
  store_uuid: string;
  item_type: string;
  item_sku: string;
  item_cost: number;
  item_title: string;
}

/** A plan as the service's WarrantyView puts it on the wire (same fields, same order, same number formats). */
export interface FloorWarranty {
  id: number;
  store_id: number;
  store_uuid: string;
  item_sku: string;
  item_type: string;
  item_title: string;
  item_cost: number;
  warranty_price: number;
  warranty_duration_months: number;
  pricing_version: string;
  created_at: string;
  updated_at: string;
}

const PAGE = `SELECT w.id, w.store_id, s.uuid AS store_uuid, i.sku AS item_sku, w.item_type, i.title AS item_title,
         i.cost AS item_cost, w.price AS warranty_price, w.duration_months AS warranty_duration_months,
         w.pricing_version, w.created_at, w.updated_at
  FROM warranty w JOIN item i ON i.id = w.item_id JOIN store s ON s.id = w.store_id
  WHERE w.store_id = (SELECT id FROM store WHERE uuid = $1) AND w.item_id IN (SELECT id FROM item WHERE sku = $2) ORDER BY w.id LIMIT $3`;

const STORE = `WITH existing AS (SELECT id FROM store WHERE uuid = $1),
            created AS (
              INSERT INTO store (uuid) SELECT $2 WHERE NOT EXISTS (SELECT 1 FROM existing)
              ON CONFLICT (uuid) DO NOTHING RETURNING id)
       SELECT id, true AS committed FROM existing UNION ALL SELECT id, false FROM created`;
const STORE_ID = 'SELECT id FROM store WHERE uuid = $1';

const ITEM = `WITH created AS (
         INSERT INTO item (store_id, sku, type, title, cost) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (store_id, sku) DO NOTHING RETURNING id, sku, type, title, cost)
       SELECT id, sku, type, title, cost, true AS inserted FROM created
       UNION ALL
       SELECT id, sku, type, title, cost, false FROM item WHERE store_id = $6 AND sku = $7 AND NOT EXISTS (SELECT 1 FROM created)`;
const ITEM_AGAIN = 'SELECT id, sku, type, title, cost, false AS inserted FROM item WHERE store_id = $1 AND sku = $2';
const ITEM_UPDATE = `UPDATE item SET type = v.type, title = v.title, cost = v.cost,
         updated_at = CASE WHEN (item.type, item.title, item.cost) IS DISTINCT FROM (v.type, v.title, v.cost)
                           THEN now() ELSE item.updated_at END
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::numeric[]) AS v(id, type, title, cost)
       WHERE item.id = v.id`;

const PLANS_OF = `SELECT item_id, id, duration_months, price, pricing_version, created_at, updated_at, false AS inserted
       FROM warranty WHERE item_id = ANY ($1::bigint[])`;
/** The plan-set statement for `plans` plans ($1 item, $2 durations, then six values per plan). */
const replacePlans = (plans: number) =>
  `WITH stale AS (DELETE FROM warranty WHERE item_id = $1 AND NOT (duration_months = ANY ($2::smallint[])))
       INSERT INTO warranty AS w (item_id, store_id, item_type, duration_months, price, pricing_version)
       VALUES ${Array.from({ length: plans }, (_, p) => {
         const n = 3 + p * 6;
         return `($${n}::bigint, $${n + 1}::bigint, $${n + 2}, $${n + 3}::smallint, $${n + 4}::numeric, $${n + 5})`;
       }).join(', ')}
       ON CONFLICT (item_id, duration_months) DO UPDATE SET
         store_id = EXCLUDED.store_id, item_type = EXCLUDED.item_type, price = EXCLUDED.price,
         pricing_version = EXCLUDED.pricing_version,
         updated_at = CASE WHEN (w.item_type, w.price, w.pricing_version) IS DISTINCT FROM
                                (EXCLUDED.item_type, EXCLUDED.price, EXCLUDED.pricing_version)
                           THEN now() ELSE w.updated_at END
       RETURNING w.item_id, w.id, w.duration_months, w.price, w.pricing_version, w.created_at, w.updated_at, (w.xmax = 0) AS inserted`;

const OUTBOX = `INSERT INTO archive_record (event_id, object_key, document, attempts, next_attempt_at)
       VALUES ($1, $2, $3::jsonb, 1, now() + $4::int * interval '1 millisecond') RETURNING id`;

interface PlanRow {
  id: string;
  duration_months: number;
  price: string;
  pricing_version: string;
  created_at: Date;
  updated_at: Date;
  inserted: boolean;
}

/** A read-only page of plans: GET by store and SKU, as the service's page answers it. */
export async function pageByStoreSku(
  pool: pg.Pool,
  storeUuid: string,
  sku: string,
  limit: number,
): Promise<{ warranties: FloorWarranty[]; next_cursor: string | null }> {
  const { rows } = await pool.query({ name: 'floor-page', text: PAGE, values: [storeUuid, sku, limit + 1] });
  const warranties = rows.slice(0, limit).map((row): FloorWarranty => ({
    id: Number(row.id),
    store_id: Number(row.store_id),
    store_uuid: row.store_uuid,
    item_sku: row.item_sku,
    item_type: row.item_type,
    item_title: row.item_title,
    item_cost: Number(row.item_cost),
    warranty_price: Number(row.warranty_price),
    warranty_duration_months: row.warranty_duration_months,
    pricing_version: row.pricing_version,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  }));
  return { warranties, next_cursor: rows.length > limit ? encodeCursor(warranties[limit - 1].id) : null };
}

/**
 * One POST's writes in one transaction: store get-or-create (ids of committed stores cached, as the
 * service does), item insert-or-find, an unchanged re-send answered from the stored plans, else the
 * item updated and its plan set replaced, and the outbox row. Undefined when the item gets no plan.
 */
export class FloorWrites {
  private readonly storeIds = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly leaseMs: number,
  ) {}

  async submit(item: FloorItem, receivedAt: Date): Promise<{ status: 200 | 201; body: { warranties: FloorWarranty[] } } | undefined> {
    const costCents = centsFromAmount(item.item_cost);
    const quote = priceItem(SHIPPED_PRICING, item.item_type, costCents);
    if (quote.length === 0) return undefined;
    const cost = centsToDecimal(costCents);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      let storeId = this.storeIds.get(item.store_uuid);
      if (storeId === undefined) {
        const [store] = (await client.query({ name: 'floor-store', text: STORE, values: [item.store_uuid, item.store_uuid] })).rows;
        storeId = Number(
          store?.id ?? (await client.query({ name: 'floor-store-id', text: STORE_ID, values: [item.store_uuid] })).rows[0].id,
        );
      }
      const found =
        (
          await client.query({
            name: 'floor-item',
            text: ITEM,
            values: [storeId, item.item_sku, item.item_type, item.item_title, cost, storeId, item.item_sku],
          })
        ).rows[0] ?? (await client.query({ name: 'floor-item-again', text: ITEM_AGAIN, values: [storeId, item.item_sku] })).rows[0];
      const itemId = Number(found.id);
      const unchanged = !found.inserted && found.type === item.item_type && found.title === item.item_title && found.cost === cost;
      let plans: PlanRow[] | undefined;
      if (unchanged) {
        const stored = (await client.query<PlanRow>({ name: 'floor-plans-of', text: PLANS_OF, values: [[itemId]] })).rows;
        stored.sort((a, b) => a.duration_months - b.duration_months);
        const same =
          stored.length === quote.length &&
          quote.every(
            (plan, i) =>
              stored[i].duration_months === plan.durationMonths &&
              stored[i].price === centsToDecimal(plan.priceCents) &&
              stored[i].pricing_version === SHIPPED_PRICING.version,
          );
        if (same) plans = stored;
      }
      if (!plans) {
        if (!found.inserted)
          await client.query({
            name: 'floor-item-update',
            text: ITEM_UPDATE,
            values: [[itemId], [item.item_type], [item.item_title], [cost]],
          });
        const values: unknown[] = [itemId, quote.map((plan) => plan.durationMonths)];
        for (const plan of quote)
          values.push(itemId, storeId, item.item_type, plan.durationMonths, centsToDecimal(plan.priceCents), SHIPPED_PRICING.version);
        plans = (await client.query<PlanRow>({ name: `floor-plans-${quote.length}`, text: replacePlans(quote.length), values })).rows;
        plans.sort((a, b) => a.duration_months - b.duration_months);
      }
      const warranties = plans.map((plan): FloorWarranty => ({
        id: Number(plan.id),
        store_id: storeId,
        store_uuid: item.store_uuid,
        item_sku: item.item_sku,
        item_type: item.item_type,
        item_title: item.item_title,
        item_cost: costCents / 100,
        warranty_price: Number(plan.price),
        warranty_duration_months: plan.duration_months,
        pricing_version: plan.pricing_version,
        created_at: plan.created_at.toISOString(),
        updated_at: plan.updated_at.toISOString(),
      }));
      const response = { status: plans.some((plan) => plan.inserted) ? (201 as const) : (200 as const), body: { warranties } };
      const eventId = randomUUID();
      const document = {
        event_id: eventId,
        request_id: `${FLOOR_REQUEST_PREFIX}${randomUUID()}`,
        received_at: receivedAt.toISOString(),
        key_prefix: 'bench-floor',
        request: item,
        response,
      };
      await client.query({
        name: 'floor-outbox',
        text: OUTBOX,
        values: [eventId, archiveKey(receivedAt, item.store_uuid, eventId), JSON.stringify(document), this.leaseMs],
      });
      await client.query('COMMIT');
      this.storeIds.set(item.store_uuid, storeId);
      return response;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
