import { costCents, pickType, sku, storeUuid, title } from './catalog.js';

/** The POST body, exactly the SPEC's five fields. */
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
