import { Inject, Injectable } from '@nestjs/common';
import type { Cents } from '../common/money.js';
import { explainEligibility, ineligibilityProblem } from './eligibility.js';
import { priceItem, type PricedPlan } from './price-item.js';
import type { PricingTable } from './pricing-table.js';

export const PRICING_TABLE = Symbol('PRICING_TABLE');

export interface Quote {
  pricingVersion: string;
  plans: PricedPlan[];
}

/** Prices items against the injected rules table (tests can inject their own). */
@Injectable()
export class PricingService {
  constructor(@Inject(PRICING_TABLE) private readonly table: PricingTable) {}

  quote(itemType: string, costCents: Cents): Quote {
    return { pricingVersion: this.table.version, plans: priceItem(this.table, itemType, costCents) };
  }

  /** Why an item gets no plan, in the client's words (the rule that failed); undefined when it is eligible. */
  refusal(itemType: string, costCents: Cents): ReturnType<typeof ineligibilityProblem> | undefined {
    const eligibility = explainEligibility(this.table, itemType, costCents);
    return eligibility.eligible ? undefined : ineligibilityProblem(eligibility, itemType, costCents);
  }
}
