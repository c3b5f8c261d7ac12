import type { Cents } from '../common/money.js';

/** A protection plan with the item and store it covers, as the domain sees it (money in cents). */
export interface Warranty {
  id: number;
  storeId: number;
  storeUuid: string;
  itemSku: string;
  itemType: string;
  itemTitle: string;
  itemCostCents: Cents;
  priceCents: Cents;
  durationMonths: number;
  pricingVersion: string;
  createdAt: Date;
  updatedAt: Date;
}

/** One item as a store submits it (validated and normalised). */
export interface SubmittedItem {
  store_uuid: string;
  item_type: string;
  item_sku: string;
  item_cost: number;
  item_title: string;
}

/** The outcome of a submission: the item's plans, ordered by duration, and whether any was new. */
export interface SubmissionResult {
  created: boolean;
  warranties: Warranty[];
}

/** The filters of a warranty listing (all optional, ANDed), after `afterId`, at most `limit`. */
export interface WarrantyFilter {
  storeUuid?: string;
  itemType?: string;
  sku?: string;
  afterId?: number;
  limit: number;
}

/** What became of a batch entry: saved (its result), or refused (by validation or pricing) and why. */
export type BatchOutcome = { result: SubmissionResult } | { refused: unknown };
