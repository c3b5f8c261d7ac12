import { ITEM_SKU, ITEM_TITLE } from '../../items/item-fields.js';
import { ItemCost, ITEM_TYPE } from '../../pricing/pricing-fields.js';
import { STORE_UUID } from '../../stores/store-fields.js';
import { RequiredText } from '../../common/text-field.js';

/** POST /api/warranties body: exactly these five fields (any other field is rejected). */
export class CreateWarrantyDto {
  @RequiredText(STORE_UUID)
  store_uuid: string;

  @RequiredText(ITEM_TYPE)
  item_type: string;

  @RequiredText(ITEM_SKU)
  item_sku: string;

  @ItemCost()
  item_cost: number;

  @RequiredText(ITEM_TITLE)
  item_title: string;
}

/** The example submission of the API's documents (and the tests' first payload). */
export const EXAMPLE_SUBMISSION: Readonly<CreateWarrantyDto> = Object.freeze({
  store_uuid: 'b21ad0676f26439',
  item_type: 'furniture',
  item_sku: '986kjeo8fy9qhu',
  item_cost: 150.0,
  item_title: "Amy's Sectional Sofa",
});
