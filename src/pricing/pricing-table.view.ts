import { ApiProperty } from '@nestjs/swagger';
import { ITEM_TYPE_VALUES, MONEY_DECIMALS } from '../openapi/schema-extensions.js';
import { acceptedItemTypes } from './eligibility.js';
import { centsToAmount } from '../common/money.js';
import type { PricingTable } from './pricing-table.js';

/** One plan's formula: price = base + rate × item_cost, rounded half up to the cent. */
export class PlanRuleView {
  @ApiProperty({ type: 'integer', example: 12, description: 'Length of the plan in months.' })
  duration_months: number;

  @ApiProperty({ type: Number, ...MONEY_DECIMALS, example: 5, description: 'Fixed part of the price (JSON number, at most 2 decimals).' })
  base: number;

  @ApiProperty({
    type: Number,
    example: 0.1,
    description: 'Share of the item cost added to `base`, as a fraction (0.10 = 10 %).',
  })
  rate: number;
}

export class ItemTypeRuleView {
  @ApiProperty({ example: 'furniture', ...ITEM_TYPE_VALUES }) item_type: string;

  @ApiProperty({ type: Number, ...MONEY_DECIMALS, example: 50, description: 'Lowest eligible item_cost (inclusive).' })
  min_cost: number;

  @ApiProperty({ type: Number, ...MONEY_DECIMALS, example: 10000, description: 'Highest eligible item_cost (inclusive).' })
  max_cost: number;

  @ApiProperty({ type: [PlanRuleView], description: 'Ordered by duration.' })
  plans: PlanRuleView[];
}

/** GET /api/pricing: the active pricing table, read-only. */
export class PricingTableView {
  @ApiProperty({ example: '2026-11-01', description: 'Recorded as `pricing_version` on every plan this table prices.' })
  version: string;

  @ApiProperty({ type: [ItemTypeRuleView], description: 'Every item type that can get a plan, ordered by name.' })
  item_types: ItemTypeRuleView[];
}

/** The table as the wire shows it: money as JSON numbers, rates as fractions. */
export function pricingTableView(table: PricingTable): PricingTableView {
  return {
    version: table.version,
    item_types: acceptedItemTypes(table).map((itemType) => {
      const rule = table.itemTypes[itemType];
      return {
        item_type: itemType,
        min_cost: centsToAmount(rule.minCostCents),
        max_cost: centsToAmount(rule.maxCostCents),
        plans: [...rule.plans]
          .sort((a, b) => a.durationMonths - b.durationMonths)
          .map((plan) => ({
            duration_months: plan.durationMonths,
            base: centsToAmount(plan.baseCents),
            rate: plan.rateBasisPoints / 10_000,
          })),
      };
    }),
  };
}
