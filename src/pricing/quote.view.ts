import { ApiProperty } from '@nestjs/swagger';
import { centsToAmount } from '../common/money.js';
import { MONEY_DECIMALS } from '../openapi/schema-extensions.js';
import type { Quote } from './pricing.service.js';

export class QuotedPlanView {
  @ApiProperty({ type: 'integer', example: 12, description: 'Length of the plan in months.' })
  warranty_duration_months: number;

  @ApiProperty({
    type: Number,
    minimum: 0,
    ...MONEY_DECIMALS,
    example: 20,
    description: 'Price of the plan (JSON number, at most 2 decimals).',
  })
  warranty_price: number;
}

/** POST /api/pricing/quote: what a POST of this item would be offered now; nothing is written. */
export class QuoteView {
  @ApiProperty({ example: '2026-11-01', description: 'The version in force for the store now, which priced these plans.' })
  pricing_version: string;

  @ApiProperty({ type: [QuotedPlanView], description: 'Ordered by duration; never empty (an item that gets no plan is a 422).' })
  plans: QuotedPlanView[];
}

export function quoteView(quote: Quote): QuoteView {
  return {
    pricing_version: quote.pricingVersion,
    plans: quote.plans.map((plan) => ({ warranty_duration_months: plan.durationMonths, warranty_price: centsToAmount(plan.priceCents) })),
  };
}
