import { OptionalText } from '../../common/text-field.js';
import { STORE_UUID } from '../../stores/store-fields.js';

/** GET /api/pricing query. */
export class PricingQuery {
  @OptionalText(
    STORE_UUID,
    'The table in force for this store (admin keys; a store key may name only its own store). Absent: the default table ' +
      '(for a store key: its own store’s table).',
  )
  store_uuid?: string;
}
