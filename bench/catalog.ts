import { createHash } from 'node:crypto';
import { SHIPPED_PRICING } from '../src/pricing/pricing-rules.js';
import { priceItem } from '../src/pricing/price-item.js';

/**
 * The synthetic retail catalogue every benchmark part draws from (seed, ceiling, HTTP load), so the
 * database and the service see the same stores, SKUs, item types and costs.
 */

/** Store uuids are 15 hex chars, like the SPEC's `b21ad0676f26439`; the seed computes the same in SQL. */
export const storeUuid = (index: number): string => md5(`store-${index}`).slice(0, 15);
export const STORE_UUID_SQL = (indexExpr: string) => `substr(md5('store-' || (${indexExpr})::text), 1, 15)`;

/** SKUs are 14 hex chars, like the SPEC's `986kjeo8fy9qhu`; a retailer's SKU space is shared by its stores. */
export const sku = (index: number): string => md5(`sku-${index}`).slice(0, 14);
export const SKU_SQL = (indexExpr: string) => `substr(md5('sku-' || (${indexExpr})::text), 1, 14)`;

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

export interface ItemTypeMix {
  type: string;
  /** Share of items, in percent of all items. */
  weight: number;
  /** Realistic price band for the type (dollars), inside the pricing rules' eligible range. */
  minCost: number;
  maxCost: number;
  nouns: readonly string[];
}

/** Roughly what a general retailer sells with protection plans. All of it is eligible for a plan. */
export const ITEM_TYPES: readonly ItemTypeMix[] = [
  { type: 'electronics', weight: 30, minCost: 40, maxCost: 2_500, nouns: ['4K TV', 'Soundbar', 'Headphones', 'Camera', 'Smart Speaker'] },
  { type: 'furniture', weight: 15, minCost: 80, maxCost: 4_000, nouns: ['Sectional Sofa', 'Dining Table', 'Recliner', 'Bookcase'] },
  { type: 'appliances', weight: 15, minCost: 80, maxCost: 3_000, nouns: ['Refrigerator', 'Washer', 'Dishwasher', 'Microwave'] },
  { type: 'phones', weight: 12, minCost: 100, maxCost: 1_600, nouns: ['Smartphone', 'Flip Phone', 'Smartwatch'] },
  { type: 'computers', weight: 10, minCost: 250, maxCost: 3_500, nouns: ['Laptop', 'Desktop PC', 'Tablet', 'Monitor'] },
  { type: 'jewelry', weight: 6, minCost: 40, maxCost: 6_000, nouns: ['Gold Necklace', 'Diamond Ring', 'Silver Bracelet'] },
  { type: 'mattresses', weight: 6, minCost: 200, maxCost: 3_000, nouns: ['Memory Foam Mattress', 'Hybrid Mattress'] },
  { type: 'bicycles', weight: 6, minCost: 150, maxCost: 5_000, nouns: ['Road Bike', 'E-Bike', 'Mountain Bike'] },
];

export const BRANDS: readonly string[] = ['Acme', 'Northwind', 'Contoso', 'Fabrikam', 'Globex', 'Initech', 'Umbrella', 'Wayne', "Amy's"];

const TOTAL_WEIGHT = ITEM_TYPES.reduce((sum, mix) => sum + mix.weight, 0);

/** Shelf prices per type: log-spaced over the type's band (many cheap items, few expensive ones), ending in .99. */
const POINTS_PER_TYPE = 400;
export const PRICE_POINTS: ReadonlyMap<string, readonly number[]> = new Map(
  ITEM_TYPES.map((mix) => {
    const cents = new Set<number>();
    for (let i = 0; i < POINTS_PER_TYPE; i++) {
      const dollars = Math.exp(Math.log(mix.minCost) + (i / (POINTS_PER_TYPE - 1)) * (Math.log(mix.maxCost) - Math.log(mix.minCost)));
      cents.add(Math.max(mix.minCost * 100, Math.round(dollars) * 100 - 1));
    }
    return [mix.type, [...cents].sort((a, b) => a - b)];
  }),
);

export function pricePoints(mix: ItemTypeMix): readonly number[] {
  return PRICE_POINTS.get(mix.type)!;
}

/** A shelf price of the type, in cents, from one uniform number in [0, 1). */
export function costCents(mix: ItemTypeMix, uniform: number): number {
  const points = pricePoints(mix);
  return points[Math.min(points.length - 1, Math.floor(uniform * points.length))];
}

// A benchmark of ineligible items would measure 422s: fail loudly if the mix and the pricing rules drift apart.
for (const mix of ITEM_TYPES) {
  for (const cents of pricePoints(mix)) {
    if (priceItem(SHIPPED_PRICING, mix.type, cents).length === 0) {
      throw new Error(`bench catalogue: ${mix.type} at ${cents / 100} gets no plan under pricing ${SHIPPED_PRICING.version}`);
    }
  }
}

/** Plans per item, averaged over the mix: turns a warranty count into an item count for the seed. */
export const AVERAGE_PLANS_PER_ITEM =
  ITEM_TYPES.reduce((sum, mix) => {
    const points = pricePoints(mix);
    const plans = points.reduce((n, cents) => n + priceItem(SHIPPED_PRICING, mix.type, cents).length, 0) / points.length;
    return sum + mix.weight * plans;
  }, 0) / TOTAL_WEIGHT;

/** Cumulative bounds in [0, 1) per type, for picking a type from one uniform number (also used by the seed SQL). */
export const TYPE_BOUNDS: readonly { mix: ItemTypeMix; lo: number; hi: number }[] = (() => {
  let lo = 0;
  return ITEM_TYPES.map((mix, i) => {
    const hi = i === ITEM_TYPES.length - 1 ? 1.000001 : lo + mix.weight / TOTAL_WEIGHT;
    const bound = { mix, lo, hi };
    lo = hi;
    return bound;
  });
})();

export function pickType(uniform: number): ItemTypeMix {
  return (TYPE_BOUNDS.find((bound) => uniform < bound.hi) ?? TYPE_BOUNDS[TYPE_BOUNDS.length - 1]).mix;
}

export function title(mix: ItemTypeMix, n: number): string {
  return `${BRANDS[n % BRANDS.length]} ${mix.nouns[n % mix.nouns.length]} ${(n % 9000) + 1000}`;
}

/**
 * The shape of the seeded catalogue: item k (0-based) belongs to store k mod stores and gets a SKU
 * index that is distinct within its store, spread over the whole SKU space.
 */
export interface SeedShape {
  stores: number;
  skus: number;
  items: number;
}

export function skuStep(shape: SeedShape): number {
  const perStore = Math.ceil(shape.items / shape.stores);
  if (perStore > shape.skus) throw new Error(`${shape.items} items do not fit in ${shape.stores} stores × ${shape.skus} SKUs`);
  return Math.max(1, Math.floor(shape.skus / perStore));
}

export function seededItem(shape: SeedShape, k: number): { storeIndex: number; skuIndex: number } {
  const storeIndex = k % shape.stores;
  const skuIndex = (Math.floor(k / shape.stores) * skuStep(shape) + storeIndex * 7) % shape.skus;
  return { storeIndex, skuIndex };
}
