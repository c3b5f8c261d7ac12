import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsNumber, IsPositive, Max, ValidateBy } from 'class-validator';
import { RequiredText } from './field-rules.js';

export const MAX_ITEM_COST = 1_000_000;

/**
 * item_cost rules in the order they are checked (the first failure is the one reported): present,
 * a JSON number, at most two decimals, > 0, ≤ 1,000,000. The decimals check is ours because
 * class-validator's maxDecimalPlaces throws on exponent notation such as 1e-7.
 */
function ItemCost(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      type: Number,
      description: 'Price of the item: a JSON number (not a string), > 0, ≤ 1,000,000, at most 2 decimals.',
      example: 150,
      minimum: 0.01,
      maximum: MAX_ITEM_COST,
      multipleOf: 0.01,
    }),
    IsDefined({ message: 'is required' }),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a JSON number' }),
    ValidateBy({
      name: 'hasAtMostTwoDecimals',
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number(value.toFixed(2)) === value,
        defaultMessage: () => 'must have at most 2 decimal places',
      },
    }),
    IsPositive({ message: 'must be greater than 0' }),
    Max(MAX_ITEM_COST, { message: `must not exceed ${MAX_ITEM_COST}` }),
  );
}

/** POST /api/warranties body: exactly these five fields (any other field is rejected). */
export class CreateWarrantyDto {
  @RequiredText('store_uuid')
  store_uuid: string;

  @RequiredText('item_type')
  item_type: string;

  @RequiredText('item_sku')
  item_sku: string;

  @ItemCost()
  item_cost: number;

  @RequiredText('item_title')
  item_title: string;
}
