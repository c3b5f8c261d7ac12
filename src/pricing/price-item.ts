import type { Cents } from '../common/money.js';
import { BASIS_POINTS, type PlanRule, type PricingTable } from './pricing-table.js';

export interface PricedPlan {
  durationMonths: number;
  priceCents: Cents;
}

/** base + cost × rate, rounded half up to the cent, in integers only. */
export function planPrice(rule: PlanRule, costCents: Cents): Cents {
  return rule.baseCents + Math.floor((costCents * rule.rateBasisPoints + BASIS_POINTS / 2) / BASIS_POINTS);
}

/**
 * The plans an item is offered, shortest first. An unknown type, or a cost outside the type's
 * eligible range, gets none. Pure: the same table and input always give the same plans.
 */
export function priceItem(table: PricingTable, itemType: string, costCents: Cents): PricedPlan[] {
  const rule = Object.hasOwn(table.itemTypes, itemType) ? table.itemTypes[itemType] : undefined;
  if (!rule || costCents < rule.minCostCents || costCents > rule.maxCostCents) return [];
  return rule.plans
    .map((plan) => ({ durationMonths: plan.durationMonths, priceCents: planPrice(plan, costCents) }))
    .sort((a, b) => a.durationMonths - b.durationMonths);
}
