import { Inject, Injectable } from '@nestjs/common';
import type { Cents } from '../common/money.js';
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
}
