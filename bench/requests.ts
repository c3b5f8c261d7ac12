import { encodeChangeCursor, type ChangePosition } from '../src/changes/change-cursor.js';
import { encodeCursor } from '../src/warranties/page-cursor.js';
import { costCents, pickType, seededItem, sku, storeUuid, title, type SeedShape } from './catalog.js';
import { BatchWorkload, PostWorkload, type PostMix } from './workload.js';

/** What a load process sends: one kind of request, built fresh per call. */
export type LoadScenario =
  | { kind: 'post'; mix: PostMix }
  /** POST /api/warranties/batch: `size` items of one store per request, same key mix as `post`. */
  | { kind: 'post-batch'; mix: PostMix; size: number }
  /** The same first POST of one new item, every time (concurrent identical first POSTs). */
  | { kind: 'post-identical'; storeIndex: number; skuIndex: number }
  /** One item's plans, as a store's till would look them up. */
  | { kind: 'get-store-sku'; shape: SeedShape }
  /** One store's own lookups, as its key may make them: a seeded item of the store by SKU (any SKU without a seed). */
  | { kind: 'get-own-store'; storeIndex: number; shape?: SeedShape }
  /** First page of one item type. */
  | { kind: 'get-type'; limit: number }
  /** The same query, continued from a cursor deep in the type's rows (last id of the previous page, per type). */
  | { kind: 'get-type-deep'; limit: number; afterIds: Record<string, number> }
  /** POST /api/pricing/quote: what an item of the mix would get in one of `stores` (nothing written). */
  | { kind: 'quote'; stores: number }
  /** A page of GET /api/changes (every store), from the beginning or after `after`. */
  | { kind: 'changes'; limit: number; after?: ChangePosition };

export interface BuiltRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export const BATCH_PATH = '/api/warranties/batch';
export const QUOTE_PATH = '/api/pricing/quote';

/** A request factory for the scenario, with the workload whose new/re-send counts the load reports. */
export function requestFactory(scenario: LoadScenario): {
  next: () => BuiltRequest;
  counts: () => { newItems: number; resends: number } | undefined;
} {
  switch (scenario.kind) {
    case 'post': {
      const workload = new PostWorkload(scenario.mix);
      return {
        next: () => ({ method: 'POST', path: '/api/warranties', body: JSON.stringify(workload.next()) }),
        counts: () => ({ newItems: workload.newItems, resends: workload.resends }),
      };
    }
    case 'post-batch': {
      const workload = new BatchWorkload(scenario.mix);
      return {
        next: () => ({ method: 'POST', path: BATCH_PATH, body: JSON.stringify(workload.next(scenario.size)) }),
        counts: () => ({ newItems: workload.newItems, resends: workload.resends }),
      };
    }
    case 'post-identical': {
      const mix = pickType(0);
      const body = JSON.stringify({
        store_uuid: storeUuid(scenario.storeIndex),
        item_type: mix.type,
        item_sku: sku(scenario.skuIndex),
        item_cost: costCents(mix, 0.5) / 100,
        item_title: title(mix, scenario.skuIndex),
      });
      return { next: () => ({ method: 'POST', path: '/api/warranties', body }), counts: () => undefined };
    }
    case 'get-store-sku':
      return {
        next: () => {
          const item = seededItem(scenario.shape, Math.floor(Math.random() * scenario.shape.items));
          return { method: 'GET', path: `/api/warranties?store_uuid=${storeUuid(item.storeIndex)}&sku=${sku(item.skuIndex)}` };
        },
        counts: () => undefined,
      };
    case 'get-own-store': {
      const { storeIndex, shape } = scenario;
      // Item k belongs to store k mod stores (catalog.ts): this store's items are storeIndex + j × stores.
      const items = shape ? Math.max(1, Math.floor((shape.items - 1 - storeIndex) / shape.stores) + 1) : 0;
      const skuOf = () =>
        shape
          ? seededItem(shape, storeIndex + Math.floor(Math.random() * items) * shape.stores).skuIndex
          : Math.floor(Math.random() * 100_000);
      return {
        next: () => ({ method: 'GET', path: `/api/warranties?store_uuid=${storeUuid(storeIndex)}&sku=${sku(skuOf())}` }),
        counts: () => undefined,
      };
    }
    case 'get-type':
      return {
        next: () => ({ method: 'GET', path: `/api/warranties?item_type=${pickType(Math.random()).type}&limit=${scenario.limit}` }),
        counts: () => undefined,
      };
    case 'get-type-deep':
      return {
        next: () => {
          const type = pickType(Math.random()).type;
          const cursor = encodeCursor(scenario.afterIds[type]);
          return { method: 'GET', path: `/api/warranties?item_type=${type}&limit=${scenario.limit}&cursor=${cursor}` };
        },
        counts: () => undefined,
      };
    case 'quote':
      return {
        next: () => {
          const mix = pickType(Math.random());
          const body = {
            store_uuid: storeUuid(Math.floor(Math.random() * scenario.stores)),
            item_type: mix.type,
            item_cost: costCents(mix, Math.random()) / 100,
          };
          return { method: 'POST', path: QUOTE_PATH, body: JSON.stringify(body) };
        },
        counts: () => undefined,
      };
    case 'changes': {
      const path = `/api/changes?limit=${scenario.limit}${scenario.after ? `&cursor=${encodeChangeCursor(scenario.after)}` : ''}`;
      return { next: () => ({ method: 'GET', path }), counts: () => undefined };
    }
  }
}
