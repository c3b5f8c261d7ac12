import pg from 'pg';
import { SHIPPED_PRICING } from '../src/pricing/pricing-rules.js';
import { priceItem } from '../src/pricing/price-item.js';
import {
  AVERAGE_PLANS_PER_ITEM,
  BRANDS,
  ITEM_TYPES,
  pricePoints,
  SKU_SQL,
  STORE_UUID_SQL,
  TYPE_BOUNDS,
  skuStep,
  type SeedShape,
} from './catalog.js';

export interface SeedResult {
  shape: SeedShape;
  warranties: number;
  seconds: number;
}

/** The seeded catalogue as the GET rows use it: its shape, and the deep cursors (deepAfterIds). */
export interface Seeded {
  result: SeedResult;
  afterIds: Record<string, number>;
}

/** Items per INSERT: small enough for steady progress, large enough to stay set-based. */
const CHUNK_ITEMS = 25_000;

/**
 * Fills store, item and warranty with about `warranties` plans, set-based (generate_series), as if
 * the catalogue had been POSTed: the same store uuids and SKUs as the load, the same type mix, and
 * plans priced by the service's own pricing function (so re-sending a seeded item changes nothing).
 * Item and plan rows of a chunk go in one statement, plans in item order, as POSTs would leave them.
 */
export async function seedWarranties(
  databaseUrl: string,
  target: { warranties: number; stores: number; skus: number },
  onProgress: (done: number, total: number) => void,
): Promise<SeedResult> {
  const started = Date.now();
  const shape: SeedShape = {
    stores: target.stores,
    skus: target.skus,
    items: Math.max(1, Math.round(target.warranties / AVERAGE_PLANS_PER_ITEM)),
  };
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-seed' });
  client.on('error', () => undefined); // a dropped connection fails the running query instead
  await client.connect();
  try {
    // A benchmark's own data: no need to wait for the WAL flush of every chunk.
    await client.query('SET synchronous_commit = off');
    await client.query(
      `INSERT INTO store (uuid) SELECT ${STORE_UUID_SQL('s')} FROM generate_series(0, $1::int - 1) AS s ON CONFLICT (uuid) DO NOTHING`,
      [shape.stores],
    );
    await createPriceTables(client);
    const sql = `
      WITH src AS MATERIALIZED (
        SELECT k, k % $3::bigint AS s, ((k / $3::bigint) * $4::bigint + (k % $3::bigint) * 7) % $5::bigint AS j,
               random() AS u, random() AS v
        FROM generate_series($1::bigint, $2::bigint - 1) AS k),
      items AS (
        INSERT INTO item (store_id, sku, type, title, cost)
        SELECT st.id, ${SKU_SQL('src.j')}, t.name,
               ($6::text[])[(1 + src.k % array_length($6::text[], 1))::int] || ' ' || split_part(t.nouns, '|', (1 + src.k % t.noun_count)::int)
                 || ' ' || (1000 + src.k % 9000)::text,
               c.cost_cents / 100.0
        FROM src
        JOIN store st ON st.uuid = ${STORE_UUID_SQL('src.s')}
        JOIN bench_type t ON src.u >= t.lo AND src.u < t.hi
        JOIN bench_cost c ON c.type = t.name AND c.idx = floor(src.v * t.points)::int
        ORDER BY src.k
        RETURNING id, store_id, type, cost)
      INSERT INTO warranty (item_id, store_id, item_type, duration_months, price, pricing_version)
      SELECT i.id, i.store_id, i.type, p.duration_months, p.price_cents / 100.0, $7
      FROM items i JOIN bench_plan p ON p.type = i.type AND p.cost_cents = (i.cost * 100)::bigint
      ORDER BY i.id, p.duration_months`;
    let warranties = 0;
    for (let from = 0; from < shape.items; from += CHUNK_ITEMS) {
      const to = Math.min(shape.items, from + CHUNK_ITEMS);
      const inserted = await client.query(sql, [from, to, shape.stores, skuStep(shape), shape.skus, BRANDS, SHIPPED_PRICING.version]);
      warranties += inserted.rowCount ?? 0;
      onProgress(to, shape.items);
    }
    await client.query('ANALYZE store, item, warranty');
    await client.query('CHECKPOINT');
    return { shape, warranties, seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

/**
 * Session-local lookup tables for the seed: the type mix, each type's shelf prices, and the plans the
 * service's own pricing function (priceItem) gives at each of those prices — so the SQL never
 * re-implements a pricing rule.
 */
async function createPriceTables(client: pg.Client): Promise<void> {
  const plans = ITEM_TYPES.flatMap((mix) =>
    pricePoints(mix).flatMap((cents) => priceItem(SHIPPED_PRICING, mix.type, cents).map((plan) => ({ type: mix.type, cents, ...plan }))),
  );
  const costs = ITEM_TYPES.flatMap((mix) => pricePoints(mix).map((cents, idx) => ({ type: mix.type, idx, cents })));
  await client.query(`
    CREATE TEMP TABLE bench_type (name text, lo float8, hi float8, nouns text, noun_count int, points int);
    CREATE TEMP TABLE bench_cost (type text, idx int, cost_cents bigint, PRIMARY KEY (type, idx));
    CREATE TEMP TABLE bench_plan (type text, cost_cents bigint, duration_months int, price_cents bigint)`);
  await client.query(
    'INSERT INTO bench_type SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::text[], $5::int[], $6::int[])',
    [
      TYPE_BOUNDS.map((bound) => bound.mix.type),
      TYPE_BOUNDS.map((bound) => bound.lo),
      TYPE_BOUNDS.map((bound) => bound.hi),
      TYPE_BOUNDS.map((bound) => bound.mix.nouns.join('|')),
      TYPE_BOUNDS.map((bound) => bound.mix.nouns.length),
      TYPE_BOUNDS.map((bound) => pricePoints(bound.mix).length),
    ],
  );
  await client.query('INSERT INTO bench_cost SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])', [
    costs.map((cost) => cost.type),
    costs.map((cost) => cost.idx),
    costs.map((cost) => cost.cents),
  ]);
  await client.query('INSERT INTO bench_plan SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[])', [
    plans.map((plan) => plan.type),
    plans.map((plan) => plan.cents),
    plans.map((plan) => plan.durationMonths),
    plans.map((plan) => plan.priceCents),
  ]);
  await client.query('CREATE INDEX ON bench_plan (type, cost_cents); ANALYZE bench_type, bench_cost, bench_plan');
}

/**
 * For each item type, the last id before the page that starts `depth` (0–1) of the way into the
 * type's rows in id order: a cursor "deep in the table", decoded, one per type.
 */
export async function deepAfterIds(databaseUrl: string, depth: number): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-seed' });
  client.on('error', () => undefined); // a dropped connection fails the running query instead
  await client.connect();
  try {
    const afterIds: Record<string, number> = {};
    const counts = await client.query<{ item_type: string; n: string }>('SELECT item_type, count(*) AS n FROM warranty GROUP BY item_type');
    for (const { item_type, n } of counts.rows) {
      const offset = Math.floor(Number(n) * depth);
      const row = await client.query<{ id: string }>('SELECT id FROM warranty WHERE item_type = $1 ORDER BY id OFFSET $2 LIMIT 1', [
        item_type,
        offset,
      ]);
      if (row.rowCount) afterIds[item_type] = Number(row.rows[0].id);
    }
    return afterIds;
  } finally {
    await client.end();
  }
}
