import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, ValidateBy } from 'class-validator';
import { PageLimit } from '../../common/page-limit.js';
import { decodeCursor } from '../page-cursor.js';
import { OptionalText } from './field-rules.js';

/** GET /api/warranties query: optional filters (ANDed), page size and the cursor of the previous page. */
export class ListWarrantiesQuery {
  @OptionalText('item_sku', 'Only plans for items with this SKU (in any store, unless store_uuid is given too).')
  sku?: string;

  @OptionalText('item_type', 'Only plans for items of this type.')
  item_type?: string;

  @OptionalText('store_uuid', 'Only plans of this store. An unknown store gives an empty list.')
  store_uuid?: string;

  @PageLimit()
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
