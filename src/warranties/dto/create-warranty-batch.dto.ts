import { ApiProperty, OmitType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined } from 'class-validator';
import { CreateWarrantyDto } from './create-warranty.dto.js';
import { RequiredText } from '../../common/text-field.js';
import { STORE_UUID } from '../../stores/store-fields.js';

export const MAX_BATCH_ITEMS = 500;

/** One item of a batch: the single POST's fields and rules, without store_uuid (the batch's). */
export class BatchItemDto extends OmitType(CreateWarrantyDto, ['store_uuid'] as const) {}

/**
 * POST /api/warranties/batch body: the envelope is validated as a whole (a bad envelope is a 400 and
 * nothing is written); each item is validated on its own by the controller (a bad item is that
 * item's 400 result).
 */
export class CreateWarrantyBatchDto {
  @RequiredText(STORE_UUID)
  store_uuid: string;

  @ApiProperty({ type: [BatchItemDto], minItems: 1, maxItems: MAX_BATCH_ITEMS, description: `1 to ${MAX_BATCH_ITEMS} items of the store.` })
  @IsDefined({ message: 'is required' })
  @IsArray({ message: `must be an array of 1 to ${MAX_BATCH_ITEMS} items` })
  @ArrayMinSize(1, { message: `must be an array of 1 to ${MAX_BATCH_ITEMS} items` })
  @ArrayMaxSize(MAX_BATCH_ITEMS, { message: `must be an array of 1 to ${MAX_BATCH_ITEMS} items` })
  items: unknown[];
}
