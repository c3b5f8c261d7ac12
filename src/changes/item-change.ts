import type { Cents } from '../common/money.js';
import type { Warranty } from '../warranties/warranty.js';
import type { ChangePosition } from './change-cursor.js';

/** What the feed says about an item: `created` when its latest change created it, else `updated`. */
export const FEED_CHANGES = ['created', 'updated'] as const;
export type FeedChange = (typeof FEED_CHANGES)[number];

/** An item whose fields or plan set changed, as it is now, at the position of its latest change. */
export interface ItemChange {
  change: FeedChange;
  changedAt: Date;
  position: ChangePosition;
  storeUuid: string;
  itemSku: string;
  itemType: string;
  itemTitle: string;
  itemCostCents: Cents;
  pricingVersion: string;
  /** Its plans, ordered by duration. */
  warranties: Warranty[];
}

/** One page of the feed: at most `limit` changes, oldest first, and where the next page starts. */
export interface ChangePage {
  changes: ItemChange[];
  next: ChangePosition;
}
