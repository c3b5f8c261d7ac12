import type { FieldProblem } from '../common/api-error.js';
import { centsToAmount } from '../common/money.js';
import { planPrice } from './price-item.js';
import type { PlanRule, PricingTable } from './pricing-table.js';

/** A version as proposed for publication, in the service's units (cents, basis points, epoch ms). */
export interface VersionDraft {
  version: string;
  effectiveFrom: number;
  storeUuids: readonly string[];
  itemTypes: readonly { itemType: string; minCostCents: number; maxCostCents: number; plans: readonly PlanRule[] }[];
}

export const MIN_DURATION_MONTHS = 1;
export const MAX_DURATION_MONTHS = 120;
/** A version may start a little in the past (clocks differ, requests take time), but not rewrite history. */
export const MAX_BACKDATING_MS = 60_000;

/** Positions of values seen before: value → first index. */
function repeats<T>(values: readonly T[], each: (value: T, index: number, first: number) => void): void {
  const first = new Map<T, number>();
  values.forEach((value, index) => {
    const seen = first.get(value);
    if (seen === undefined) first.set(value, index);
    else each(value, index, seen);
  });
}

/**
 * Every pricing rule a draft breaks (SPEC: a type twice, min_cost ≥ max_cost, a duration twice or
 * not 1–120 months, a price ≤ 0 anywhere in the range, effective_from more than a minute before
 * `now`; and a store named twice), one entry per broken rule, naming where. Empty: publishable. Pure.
 * A plan's price is base + rate × cost with base and rate ≥ 0, so it is lowest at min_cost; both
 * ends are checked all the same.
 */
export function pricingProblems(draft: VersionDraft, now: number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (draft.effectiveFrom < now - MAX_BACKDATING_MS) {
    problems.push({
      field: 'effective_from',
      message: `must not be more than a minute in the past (got ${new Date(draft.effectiveFrom).toISOString()}; now ${new Date(now).toISOString()})`,
    });
  }
  repeats(draft.storeUuids, (storeUuid, index, first) =>
    problems.push({ field: `store_uuids[${index}]`, message: `names store ${storeUuid} again (also store_uuids[${first}])` }),
  );
  repeats(
    draft.itemTypes.map((rule) => rule.itemType),
    (itemType, index, first) =>
      problems.push({ field: `item_types[${index}].item_type`, message: `"${itemType}" appears twice (also item_types[${first}])` }),
  );
  draft.itemTypes.forEach((rule, i) => {
    const at = `item_types[${i}]`;
    if (rule.minCostCents >= rule.maxCostCents) {
      problems.push({
        field: `${at}.min_cost`,
        message: `must be less than max_cost (${centsToAmount(rule.minCostCents)} ≥ ${centsToAmount(rule.maxCostCents)})`,
      });
    }
    rule.plans.forEach((plan, k) => {
      if (plan.durationMonths < MIN_DURATION_MONTHS || plan.durationMonths > MAX_DURATION_MONTHS) {
        problems.push({
          field: `${at}.plans[${k}].duration_months`,
          message: `must be from ${MIN_DURATION_MONTHS} to ${MAX_DURATION_MONTHS} months (got ${plan.durationMonths})`,
        });
      }
      for (const costCents of new Set([rule.minCostCents, rule.maxCostCents])) {
        const price = planPrice(plan, costCents);
        if (price <= 0) {
          problems.push({
            field: `${at}.plans[${k}]`,
            message: `prices an item_cost of ${centsToAmount(costCents)} at ${centsToAmount(price)}: a price must be above 0 everywhere from min_cost to max_cost`,
          });
          break;
        }
      }
    });
    repeats(
      rule.plans.map((plan) => plan.durationMonths),
      (months, k, first) =>
        problems.push({ field: `${at}.plans[${k}].duration_months`, message: `${months} months appears twice (also plans[${first}])` }),
    );
  });
  return problems;
}

/** The draft's table, as quoting reads it. */
export function tableOf(draft: Pick<VersionDraft, 'version' | 'itemTypes'>): PricingTable {
  return {
    version: draft.version,
    itemTypes: Object.fromEntries(
      draft.itemTypes.map((rule) => [
        rule.itemType,
        { minCostCents: rule.minCostCents, maxCostCents: rule.maxCostCents, plans: rule.plans },
      ]),
    ),
  };
}
