import { Injectable } from '@nestjs/common';
import type { Caller } from '../access/api-key.js';
import { assertMayActFor } from '../access/store-access.js';
import type { Cents } from '../common/money.js';
import { explainEligibility, ineligibilityProblem } from './eligibility.js';
import { nextFor } from './in-force.js';
import { priceItem, type PricedPlan } from './price-item.js';
import { PricingCatalog } from './pricing-catalog.js';
import { ItemNotEligibleError } from './pricing.errors.js';
import type { PricingVersion } from './pricing-version.js';

export interface Quote {
  /** The version that priced the plans: the one in force for the item's store at that instant. */
  pricingVersion: string;
  plans: PricedPlan[];
}

/**
 * Prices items with the version in force for their store at this instant (PricingCatalog: in
 * memory, no database read). Every method resolves the version once, so one answer never mixes two.
 */
@Injectable()
export class PricingService {
  constructor(private readonly catalog: PricingCatalog) {}

  /** The item's plans under the version in force for its store; none when it is not eligible. */
  quote(storeUuid: string, itemType: string, costCents: Cents): Quote {
    const { table } = this.catalog.inForce(storeUuid);
    return { pricingVersion: table.version, plans: priceItem(table, itemType, costCents) };
  }

  /** Why an item gets no plan, in the client's words (the rule of its store's table that failed); undefined when it is eligible. */
  refusal(storeUuid: string, itemType: string, costCents: Cents): ReturnType<typeof ineligibilityProblem> | undefined {
    const eligibility = explainEligibility(this.catalog.inForce(storeUuid).table, itemType, costCents);
    return eligibility.eligible ? undefined : ineligibilityProblem(eligibility, itemType, costCents);
  }

  /**
   * POST /api/pricing/quote: the plans the store would be offered now, or ItemNotEligibleError naming
   * the failed rule — from one version. Reads and writes nothing. A store key quotes for its store only.
   */
  offer(caller: Caller, storeUuid: string, itemType: string, costCents: Cents): Quote {
    assertMayActFor(caller, storeUuid);
    const { table } = this.catalog.inForce(storeUuid);
    const plans = priceItem(table, itemType, costCents);
    if (plans.length > 0) return { pricingVersion: table.version, plans };
    const eligibility = explainEligibility(table, itemType, costCents);
    throw new ItemNotEligibleError(
      eligibility.eligible
        ? { message: 'No protection plan is offered', details: [] }
        : ineligibilityProblem(eligibility, itemType, costCents),
    );
  }

  /**
   * GET /api/pricing: the version in force for the caller — a store key's own store; an admin key's
   * `storeUuid`, or the default table — and the next one scheduled for it.
   */
  tableFor(caller: Caller, storeUuid: string | undefined): { version: PricingVersion; next: PricingVersion | undefined } {
    if (caller.kind === 'store') {
      if (storeUuid !== undefined) assertMayActFor(caller, storeUuid);
      storeUuid = caller.storeUuid;
    }
    const version = this.catalog.inForce(storeUuid);
    return { version, next: nextFor(this.catalog.all(), storeUuid, Date.now()) };
  }
}
