import { PageCursor, PageLimit } from '../../http/page-query.js';
import { decodeCursor } from '../page-cursor.js';
import { OptionalText } from '../../common/text-field.js';
import { ITEM_SKU } from '../../items/item-fields.js';
import { ITEM_TYPE } from '../../pricing/pricing-fields.js';
import { STORE_UUID } from '../../stores/store-fields.js';

/** GET /api/warranties query: optional filters (ANDed), page size and the cursor of the previous page. */
export class ListWarrantiesQuery {
  @OptionalText(ITEM_SKU, 'Only plans for items with this SKU (in any store, unless store_uuid is given too).')
  sku?: string;

  @OptionalText(ITEM_TYPE, 'Only plans for items of this type.')
  item_type?: string;

  @OptionalText(STORE_UUID, 'Only plans of this store. An unknown store gives an empty list.')
  store_uuid?: string;

  @PageLimit()
  limit?: number;

  @PageCursor('Opaque `next_cursor` of the previous page.', decodeCursor)
  cursor?: string;
}
