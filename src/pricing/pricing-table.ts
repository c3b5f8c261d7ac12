import type { Cents } from '../common/money.js';

/** How one plan's price follows from the item's cost: base + rate × cost, rounded half up to the cent. */
export interface PlanRule {
  durationMonths: number;
  baseCents: Cents;
  /** Share of the item's cost in basis points (1 bp = 0.01 %). */
  rateBasisPoints: number;
}

export interface ItemTypeRule {
  /** Inclusive range of item costs that can be covered. */
  minCostCents: Cents;
  maxCostCents: Cents;
  plans: readonly PlanRule[];
}

export interface PricingTable {
  /** Recorded on every warranty it prices, so a price can always be traced to the rules that made it. */
  version: string;
  itemTypes: Readonly<Record<string, ItemTypeRule>>;
}

/** Basis points per whole (rate 1 = 100 % = 10,000 bp): a rate on the wire has at most 4 decimals. */
export const BASIS_POINTS = 10_000;

/** A wire rate (a fraction with at most 4 decimals, e.g. 0.1 or 0.0125) to basis points; rounding only absorbs binary noise. */
export const basisPointsFromRate = (rate: number): number => Math.round(rate * BASIS_POINTS);

/** Basis points to the wire's fraction (1000 → 0.1). */
export const rateFromBasisPoints = (basisPoints: number): number => basisPoints / BASIS_POINTS;
