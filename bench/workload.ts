import { costCents, pickType, sku, storeUuid, title } from './catalog.js';

/** The POST body, exactly the contract's five fields. */
export interface WarrantyPayload {
  store_uuid: string;
  item_type: string;
  item_sku: string;
  item_cost: number;
  item_title: string;
}

export interface PostMix {
  stores: number;
  skus: number;
  /** Share of requests that re-send an item sent before (same payload), 0–1. */
  resendShare: number;
}

export const DEFAULT_POST_MIX: PostMix = { stores: 5_000, skus: 100_000, resendShare: 0.2 };

/** How many sent payloads are remembered for re-sends: bounded memory, still far more than one row's worth of hot items. */
const REMEMBERED = 50_000;

/**
 * The POST key distribution shared by the HTTP load and the ceiling: a new item is a random store and
 * a random SKU from the catalogue (5,000 × 100,000 pairs, so practically always new); a re-send repeats
 * the exact payload of a random item this process sent before, which the service answers with 200.
 */
export class PostWorkload {
  private readonly sent: WarrantyPayload[] = [];
  private nextSlot = 0;
  newItems = 0;
  resends = 0;

  constructor(private readonly mix: PostMix = DEFAULT_POST_MIX) {}

  next(): WarrantyPayload {
    if (this.sent.length > 0 && Math.random() < this.mix.resendShare) {
      this.resends++;
      return this.sent[Math.floor(Math.random() * this.sent.length)];
    }
    this.newItems++;
    const mix = pickType(Math.random());
    const payload: WarrantyPayload = {
      store_uuid: storeUuid(Math.floor(Math.random() * this.mix.stores)),
      item_type: mix.type,
      item_sku: sku(Math.floor(Math.random() * this.mix.skus)),
      item_cost: costCents(mix, Math.random()) / 100,
      item_title: title(mix, Math.floor(Math.random() * 1_000_000)),
    };
    this.remember(payload);
    return payload;
  }

  private remember(payload: WarrantyPayload): void {
    if (this.sent.length < REMEMBERED) this.sent.push(payload);
    else this.sent[this.nextSlot] = payload;
    this.nextSlot = (this.nextSlot + 1) % REMEMBERED;
  }
}

/** One item of a batch: the single POST's fields without the store, which the envelope carries. */
export type BatchItem = Omit<WarrantyPayload, 'store_uuid'>;

export interface BatchPayload {
  store_uuid: string;
  items: BatchItem[];
}

/** Items remembered per store for re-sends (bounded memory). */
const REMEMBERED_PER_STORE = 2_000;
/** Share of batches that go to a store that was sent a batch before (so it has items to re-send). */
const REVISIT_SHARE = 0.5;

/**
 * The batch workload: every batch is for one store, its items drawn like the single POST's (random
 * type, cost and SKU); about `resendShare` of all items re-send an item of that store exactly as sent
 * before. A re-send needs a store that was sent to before, so half of the batches revisit such a store
 * and carry twice the share of re-sends (the first batches have none: the counts report the real mix).
 * No SKU appears twice in one batch.
 */
export class BatchWorkload {
  private readonly remembered = new Map<number, { items: BatchItem[]; skus: Set<string> }>();
  private readonly visited: number[] = [];
  newItems = 0;
  resends = 0;

  constructor(private readonly mix: PostMix = DEFAULT_POST_MIX) {}

  next(size: number): BatchPayload {
    const revisit = this.visited.length > 0 && Math.random() < REVISIT_SHARE;
    const storeIndex = revisit
      ? this.visited[Math.floor(Math.random() * this.visited.length)]
      : Math.floor(Math.random() * this.mix.stores);
    let store = this.remembered.get(storeIndex);
    if (!store) {
      store = { items: [], skus: new Set() };
      this.remembered.set(storeIndex, store);
      this.visited.push(storeIndex);
    }
    const memory = store.items;
    const resendChance = revisit ? Math.min(1, this.mix.resendShare / REVISIT_SHARE) : 0;
    const skus = new Set<string>();
    const items: BatchItem[] = [];
    const fresh: BatchItem[] = [];
    while (items.length < size) {
      const resendsLeft = memory.length - (items.length - fresh.length);
      if (resendsLeft > 0 && Math.random() < resendChance) {
        const item = memory[Math.floor(Math.random() * memory.length)];
        if (skus.has(item.item_sku)) continue;
        skus.add(item.item_sku);
        items.push(item);
        this.resends++;
        continue;
      }
      const type = pickType(Math.random());
      const item: BatchItem = {
        item_type: type.type,
        item_sku: sku(Math.floor(Math.random() * this.mix.skus)),
        item_cost: costCents(type, Math.random()) / 100,
        item_title: title(type, Math.floor(Math.random() * 1_000_000)),
      };
      // A SKU the store was sent before would be an update, not a new item.
      if (skus.has(item.item_sku) || store.skus.has(item.item_sku)) continue;
      skus.add(item.item_sku);
      items.push(item);
      fresh.push(item);
      this.newItems++;
    }
    for (const item of fresh) {
      store.skus.add(item.item_sku);
      if (memory.length < REMEMBERED_PER_STORE) memory.push(item);
      else memory[Math.floor(Math.random() * REMEMBERED_PER_STORE)] = item;
    }
    return { store_uuid: storeUuid(storeIndex), items };
  }
}
