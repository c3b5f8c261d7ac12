import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min, ValidateBy } from 'class-validator';
import { decodeCursor } from '../page-cursor.js';
import { OptionalText } from '../../common/text-field.js';
import { ITEM_SKU } from '../../items/item-fields.js';
import { ITEM_TYPE } from '../../pricing/pricing-fields.js';
import { STORE_UUID } from '../../stores/store-fields.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** GET /api/warranties query: optional filters (ANDed), page size and the cursor of the previous page. */
export class ListWarrantiesQuery {
  @OptionalText(ITEM_SKU, 'Only plans for items with this SKU (in any store, unless store_uuid is given too).')
  sku?: string;

  @OptionalText(ITEM_TYPE, 'Only plans for items of this type.')
  item_type?: string;

  @OptionalText(STORE_UUID, 'Only plans of this store. An unknown store gives an empty list.')
  store_uuid?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Page size.' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value))
  @IsInt({ message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @Min(1, { message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  limit?: number;

  @ApiPropertyOptional({ type: String, description: 'Opaque `next_cursor` of the previous page.' })
  @IsOptional()
  @ValidateBy({
    name: 'isPageCursor',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && decodeCursor(value) !== undefined,
      defaultMessage: () => 'is not a cursor this API issued',
    },
  })
  cursor?: string;
}
