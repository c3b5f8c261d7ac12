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
