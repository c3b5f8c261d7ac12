import { RequiredText } from '../../common/text-field.js';
import { STORE_UUID } from '../../stores/store-fields.js';
import { ItemCost, ITEM_TYPE } from '../pricing-fields.js';

/** POST /api/pricing/quote body: the pricing fields of a POST /api/warranties, with the same rules. */
export class QuoteRequestDto {
  @RequiredText(STORE_UUID)
  store_uuid: string;

  @RequiredText(ITEM_TYPE)
  item_type: string;

  @ItemCost()
  item_cost: number;
}
