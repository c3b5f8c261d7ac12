import { OptionalText } from '../../warranties/dto/field-rules.js';

/** GET /api/pricing query. */
export class PricingQuery {
  @OptionalText(
    'store_uuid',
    'The table in force for this store (admin keys; a store key may name only its own store). Absent: the default table ' +
      '(for a store key: its own store’s table).',
  )
  store_uuid?: string;
}
