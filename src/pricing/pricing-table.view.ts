import { ApiProperty } from '@nestjs/swagger';
import { ITEM_TYPE_VALUES, MONEY_DECIMALS } from '../openapi/schema-extensions.js';
import { acceptedItemTypes } from './eligibility.js';
import { centsToAmount } from '../common/money.js';
import { rateFromBasisPoints, type PricingTable } from './pricing-table.js';
import type { PricingVersion } from './pricing-version.js';

/** One plan's formula: price = base + rate × item_cost, rounded half up to the cent. */
export class PlanRuleView {
  @ApiProperty({ type: 'integer', example: 12, description: 'Length of the plan in months.' })
  duration_months: number;

  @ApiProperty({ type: Number, ...MONEY_DECIMALS, example: 5, description: 'Fixed part of the price (JSON number, at most 2 decimals).' })
  base: number;

  @ApiProperty({
    type: Number,
    example: 0.1,
    'x-decimal-places': 4,
    description: 'Share of the item cost added to `base`, as a fraction with at most 4 decimals (0.1 = 10 %, 0.0125 = 1.25 %).',
  } as object)
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

export interface NextVersionView {
  version: string;
  effective_from: string;
}

/** GET /api/pricing: the table in force for the caller, read-only, and what is scheduled next. */
export class PricingTableView {
  @ApiProperty({ example: '2026-11-01', description: 'Recorded as `pricing_version` on every plan this table prices.' })
  version: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '1970-01-01T00:00:00.000Z',
    description: 'Since when this version is in force (the shipped version 2026-11-01 holds from the beginning).',
  })
  effective_from: string;

  @ApiProperty({ type: [ItemTypeRuleView], description: 'Every item type that can get a plan, ordered by name.' })
  item_types: ItemTypeRuleView[];

  // Inline rather than a $ref: OpenAPI 3.0's `nullable` does not reach through the allOf a $ref needs.
  @ApiProperty({
    type: 'object',
    nullable: true,
    required: ['version', 'effective_from'],
    properties: {
      version: { type: 'string', example: '2027-01-01', description: 'The version that will be in force for this caller next.' },
      effective_from: { type: 'string', format: 'date-time', example: '2027-01-01T00:00:00.000Z', description: 'When it takes effect.' },
    },
    example: null,
    description: 'The next version scheduled for this caller (the one that will replace this table), or null.',
  })
  next: NextVersionView | null;
}

const itemTypeViews = new WeakMap<PricingTable, ItemTypeRuleView[]>();

/** The table's item types as the wire shows them: money as JSON numbers, rates as fractions (made once per table). */
export function itemTypesView(table: PricingTable): ItemTypeRuleView[] {
  let view = itemTypeViews.get(table);
  if (!view) {
    view = acceptedItemTypes(table).map((itemType) => {
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
            rate: rateFromBasisPoints(plan.rateBasisPoints),
          })),
      };
    });
    itemTypeViews.set(table, view);
  }
  return view;
}

const instant = (epochMs: number) => new Date(epochMs).toISOString();

/** A version in force, with the next one scheduled for the same caller. */
export function pricingTableView(version: PricingVersion, next: PricingVersion | undefined): PricingTableView {
  return {
    version: version.table.version,
    effective_from: instant(version.effectiveFrom),
    item_types: itemTypesView(version.table),
    next: next ? { version: next.table.version, effective_from: instant(next.effectiveFrom) } : null,
  };
}
