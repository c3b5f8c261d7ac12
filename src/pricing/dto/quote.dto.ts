import { ItemCost } from '../../warranties/dto/create-warranty.dto.js';
import { RequiredText } from '../../warranties/dto/field-rules.js';

/** POST /api/pricing/quote body: the pricing fields of a POST /api/warranties, with the same rules. */
export class QuoteRequestDto {
  @RequiredText('store_uuid')
  store_uuid: string;

  @RequiredText('item_type')
  item_type: string;

  @ItemCost()
  item_cost: number;
}
