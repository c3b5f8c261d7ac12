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

/** What a submission did to its item: created it, changed its fields or plan set, or nothing. */
export const CHANGES = ['created', 'updated', 'unchanged'] as const;
export type Change = (typeof CHANGES)[number];

/** The outcome of a submission: what it did to the item, whether any plan was new, and the item's plans, ordered by duration. */
export interface SubmissionResult {
  change: Change;
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
