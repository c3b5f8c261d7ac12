import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsNumber, IsPositive, Max, ValidateBy } from 'class-validator';
import { MONEY_DECIMALS } from '../../openapi/schema-extensions.js';
import { RequiredText } from './field-rules.js';

export const MAX_ITEM_COST = 1_000_000;

/**
 * item_cost rules in the order they are checked (the first failure is the one reported): present,
 * a JSON number, at most two decimals, > 0, ≤ 1,000,000. The decimals check is ours because
 * class-validator's maxDecimalPlaces throws on exponent notation such as 1e-7.
 */
function ItemCost(): PropertyDecorator {
  return applyDecorators(
    // No `multipleOf: 0.01` (float validators misread it): see MONEY_DECIMALS.
    ApiProperty({
      type: Number,
      description:
        'Price of the item in currency units: a JSON number (not a string), > 0, ≤ 1,000,000, with at most 2 decimal places ' +
        '(19.99 yes, 19.999 no).',
      example: 150,
      minimum: 0.01,
      maximum: MAX_ITEM_COST,
      ...MONEY_DECIMALS,
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
