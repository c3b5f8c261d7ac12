import { DecimalField } from '../../common/decimal-field.js';
import { RequiredText } from './field-rules.js';

export const MAX_ITEM_COST = 1_000_000;

/** item_cost: a JSON number, > 0, ≤ 1,000,000, at most two decimals (POST bodies and quotes alike). */
export function ItemCost(): PropertyDecorator {
  return DecimalField({
    description:
      'Price of the item in currency units: a JSON number (not a string), > 0, ≤ 1,000,000, with at most 2 decimal places ' +
      '(19.99 yes, 19.999 no).',
    example: 150,
    min: { value: 0, exclusive: true },
    max: MAX_ITEM_COST,
    decimals: 2,
  });
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
