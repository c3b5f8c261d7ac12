import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, ValidateBy } from 'class-validator';
import { OptionalText } from '../../common/text-field.js';
import { PageLimit } from '../../http/page-limit.js';
import { STORE_UUID } from '../../stores/store-fields.js';
import { decodeChangeCursor } from '../change-cursor.js';

/** GET /api/changes query: where to continue, how many, and (admin keys) which store. */
export class ChangesQuery {
  @ApiPropertyOptional({
    type: String,
    description: 'The `next_cursor` of the previous answer, unchanged. Absent: from the beginning.',
  })
  @IsOptional()
  @ValidateBy({
    name: 'isChangeCursor',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && decodeChangeCursor(value) !== undefined,
      defaultMessage: () => 'is not a cursor this API issued',
    },
  })
  cursor?: string;

  @PageLimit('Changes per page.')
  limit?: number;

  @OptionalText(
    STORE_UUID,
    'Only this store’s changes (admin keys; a store key always gets its own store’s, and may name only its own). ' +
      'An unknown store gives an empty page.',
  )
  store_uuid?: string;
}
