import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsInt, IsOptional, ValidateBy, ValidateNested } from 'class-validator';
import { DecimalField, type DecimalRule } from '../../common/decimal-field.js';
import { parseInstant } from '../../common/instant.js';
import { MAX_ITEM_COST } from '../../warranties/dto/create-warranty.dto.js';
import { OptionalTextList, RequiredText } from '../../warranties/dto/field-rules.js';
import { MAX_DURATION_MONTHS, MIN_DURATION_MONTHS } from '../version-rules.js';

export const MAX_ITEM_TYPES = 200;
export const MAX_PLANS = MAX_DURATION_MONTHS;
export const MAX_STORES = 1000;

const listOf = (count: string) => ({ message: `must be an array of ${count}` });

/** An eligible-range bound takes the values an item_cost may have. */
const costBound = (description: string, example: number): DecimalRule => ({
  description: `${description}: a JSON number, > 0, ≤ 1,000,000, at most 2 decimal places.`,
  example,
  min: { value: 0, exclusive: true },
  max: MAX_ITEM_COST,
  decimals: 2,
});

/** One plan of an item type: price = base + rate × item_cost, rounded half up to the cent. */
export class PlanRuleDto {
  @ApiProperty({
    type: 'integer',
    example: 12,
    description: `Length of the plan in months, ${MIN_DURATION_MONTHS} to ${MAX_DURATION_MONTHS}, once per item type (else 422 INVALID_PRICING).`,
  })
  @IsDefined({ message: 'is required' })
  @IsInt({ message: 'must be an integer' })
  duration_months: number;

  @DecimalField({
    description: 'Fixed part of the price: a JSON number, 0 to 1,000,000, at most 2 decimal places.',
    example: 5,
    min: { value: 0, exclusive: false },
    max: MAX_ITEM_COST,
    decimals: 2,
  })
  base: number;

  @DecimalField({
    description:
      'Share of item_cost added to `base`, as a fraction from 0 to 1 with at most 4 decimal places: 0.1 = 10 %, 0.0125 = 1.25 %.',
    example: 0.1,
    min: { value: 0, exclusive: false },
    max: 1,
    decimals: 4,
  })
  rate: number;
}

/** An item type a version prices: its inclusive cost range and its plans. */
export class ItemTypeRuleDto {
  @RequiredText('item_type')
  item_type: string;

  @DecimalField(costBound('Lowest eligible item_cost (inclusive)', 50))
  min_cost: number;

  @DecimalField(costBound('Highest eligible item_cost (inclusive), above min_cost', 10000))
  max_cost: number;

  @ApiProperty({ type: [PlanRuleDto], minItems: 1, maxItems: MAX_PLANS, description: `1 to ${MAX_PLANS} plans.` })
  @IsDefined({ message: 'is required' })
  @IsArray(listOf(`1 to ${MAX_PLANS} plans`))
  @ArrayMinSize(1, listOf(`1 to ${MAX_PLANS} plans`))
  @ArrayMaxSize(MAX_PLANS, listOf(`1 to ${MAX_PLANS} plans`))
  @ValidateNested({ each: true, message: 'each plan must be a JSON object' })
  @Type(() => PlanRuleDto)
  plans: PlanRuleDto[];
}

/** POST /api/pricing/versions body. */
export class PublishVersionDto {
  @RequiredText('version')
  version: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2027-01-01T00:00:00Z',
    description:
      'When the version takes effect: an ISO 8601 instant with its offset (`Z` or `±hh:mm`). Absent: now. ' +
      'At most a minute in the past (else 422 INVALID_PRICING).',
  })
  @IsOptional()
  @ValidateBy({
    name: 'isInstant',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseInstant(value) !== undefined,
      defaultMessage: () => 'must be an ISO 8601 instant with an offset, e.g. 2027-01-01T00:00:00Z',
    },
  })
  effective_from?: string;

  @OptionalTextList(
    'store_uuid',
    `Absent or empty: a default version, for every store. Otherwise the version is the whole table of exactly these stores ` +
      `(not an overlay on the default), each named once; at most ${MAX_STORES}.`,
    MAX_STORES,
  )
  store_uuids?: string[];

  @ApiProperty({
    type: [ItemTypeRuleDto],
    minItems: 1,
    maxItems: MAX_ITEM_TYPES,
    description: `1 to ${MAX_ITEM_TYPES} item types, each once.`,
  })
  @IsDefined({ message: 'is required' })
  @IsArray(listOf(`1 to ${MAX_ITEM_TYPES} item types`))
  @ArrayMinSize(1, listOf(`1 to ${MAX_ITEM_TYPES} item types`))
  @ArrayMaxSize(MAX_ITEM_TYPES, listOf(`1 to ${MAX_ITEM_TYPES} item types`))
  @ValidateNested({ each: true, message: 'each item type must be a JSON object' })
  @Type(() => ItemTypeRuleDto)
  item_types: ItemTypeRuleDto[];
}
