import { centsToAmount, type Cents } from '../common/money.js';
import type { PricingTable } from './pricing-table.js';

/** Why an item can or cannot get a plan: the first rule of the table it fails, if any. */
export type Eligibility =
  | { eligible: true }
  | { eligible: false; rule: 'unknown_item_type'; acceptedTypes: string[] }
  | { eligible: false; rule: 'cost_out_of_range'; minCostCents: Cents; maxCostCents: Cents };

/** The item types a table prices, sorted (what GET /api/pricing and the OpenAPI document list). */
export function acceptedItemTypes(table: PricingTable): string[] {
  return Object.keys(table.itemTypes).sort();
}

/**
 * Explains whether (itemType, costCents) is eligible under `table`, with the same rules as
 * priceItem: an unknown type first, then a cost outside the type's inclusive range. Pure.
 */
export function explainEligibility(table: PricingTable, itemType: string, costCents: Cents): Eligibility {
  const rule = Object.hasOwn(table.itemTypes, itemType) ? table.itemTypes[itemType] : undefined;
  if (!rule) return { eligible: false, rule: 'unknown_item_type', acceptedTypes: acceptedItemTypes(table) };
  if (costCents < rule.minCostCents || costCents > rule.maxCostCents) {
    return { eligible: false, rule: 'cost_out_of_range', minCostCents: rule.minCostCents, maxCostCents: rule.maxCostCents };
  }
  return { eligible: true };
}

/**
 * The client-facing wording of a failed rule for the 422 ITEM_NOT_ELIGIBLE answer: one `details`
 * entry naming the field the rule is about. Pure, so the API docs' example is built by it too.
 */
export function ineligibilityProblem(
  eligibility: Exclude<Eligibility, { eligible: true }>,
  itemType: string,
  costCents: Cents,
): { message: string; details: { field: 'item_type' | 'item_cost'; message: string }[] } {
  if (eligibility.rule === 'unknown_item_type') {
    return {
      message: `No protection plan is offered for item_type "${itemType}"`,
      details: [{ field: 'item_type', message: `is not a priced item type; accepted: ${eligibility.acceptedTypes.join(', ')}` }],
    };
  }
  const min = centsToAmount(eligibility.minCostCents);
  const max = centsToAmount(eligibility.maxCostCents);
  return {
    message: `No protection plan is offered for item_type "${itemType}" at item_cost ${centsToAmount(costCents)}`,
    details: [{ field: 'item_cost', message: `must be from ${min} to ${max} for item_type "${itemType}"` }],
  };
}
