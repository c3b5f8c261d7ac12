import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { toErrorBody } from '../../common/error-body.js';
import { ErrorResponseView } from '../../common/error-response.view.js';
import { centsToAmount } from '../../common/money.js';
import type { BatchOutcome } from '../warranties.service.js';
import type { SubmissionResult, Warranty } from '../warranty.js';
import { ITEM_TYPE_VALUES, MONEY_DECIMALS } from '../../openapi/schema-extensions.js';

const MONEY = { type: Number, minimum: 0, ...MONEY_DECIMALS, description: 'JSON number with at most 2 decimal places.' };

/** One protection plan on the wire (snake_case, money as JSON numbers with ≤ 2 decimals). */
export class WarrantyView {
  @ApiProperty({ type: 'integer', format: 'int64', example: 42 }) id: number;
  @ApiProperty({ type: 'integer', format: 'int64', example: 1 }) store_id: number;
  @ApiProperty({ example: 'b21ad0676f26439' }) store_uuid: string;
  @ApiProperty({ example: '986kjeo8fy9qhu' }) item_sku: string;
  @ApiProperty({ example: 'furniture', ...ITEM_TYPE_VALUES }) item_type: string;
  @ApiProperty({ example: "Amy's Sectional Sofa" }) item_title: string;
  @ApiProperty({ ...MONEY, example: 150 }) item_cost: number;
  @ApiProperty({ ...MONEY, example: 20 }) warranty_price: number;
  @ApiProperty({ type: 'integer', example: 12 }) warranty_duration_months: number;
  @ApiProperty({ example: '2026-11-01', description: 'Version of the pricing table that priced this plan.' })
  pricing_version: string;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z', format: 'date-time' }) created_at: string;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z', format: 'date-time' }) updated_at: string;
}

export class WarrantiesView {
  @ApiProperty({ type: [WarrantyView], description: 'Ordered by duration.' })
  warranties: WarrantyView[];
}

export class WarrantyPageView {
  @ApiProperty({ type: [WarrantyView], description: 'Ordered by id.' })
  warranties: WarrantyView[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page.',
    example: 'djE6NDI',
  })
  next_cursor: string | null;
}

export function toWarrantyView(warranty: Warranty): WarrantyView {
  return {
    id: warranty.id,
    store_id: warranty.storeId,
    store_uuid: warranty.storeUuid,
    item_sku: warranty.itemSku,
    item_type: warranty.itemType,
    item_title: warranty.itemTitle,
    item_cost: centsToAmount(warranty.itemCostCents),
    warranty_price: centsToAmount(warranty.priceCents),
    warranty_duration_months: warranty.durationMonths,
    pricing_version: warranty.pricingVersion,
    created_at: warranty.createdAt.toISOString(),
    updated_at: warranty.updatedAt.toISOString(),
  };
}

/**
 * What the store is answered for a submission: 201 when any plan was created, else 200. The
 * controller sends it; the service publishes it with the submission, so the archive keeps exactly it.
 */
export function submissionResponse(result: SubmissionResult): { status: HttpStatus.CREATED | HttpStatus.OK; body: WarrantiesView } {
  return {
    status: result.created ? HttpStatus.CREATED : HttpStatus.OK,
    body: { warranties: result.warranties.map(toWarrantyView) },
  };
}

/** One item's result in a batch: saved (201/200, its plans) or refused (400/422, the error it would get alone). */
export class BatchResultView {
  @ApiProperty({ type: 'integer', example: 0, description: 'Position of the item in the request.' }) index: number;
  @ApiProperty({
    type: 'integer',
    enum: [201, 200, 400, 422],
    example: 201,
    description: 'What a single POST of this item would have answered.',
  })
  status: number;
  @ApiPropertyOptional({ type: [WarrantyView], description: 'The item’s plans (201 or 200), ordered by duration.' })
  warranties?: WarrantyView[];
  @ApiPropertyOptional({ type: ErrorResponseView, description: 'Why the item was refused (400 or 422); nothing of it was written.' })
  error?: ErrorResponseView;
}

export class BatchView {
  @ApiProperty({ type: [BatchResultView], description: 'One result per item, in the order sent.' })
  results: BatchResultView[];
}

/** What the store is answered for a batch: 200, one result per item (the archive keeps exactly it). */
export function batchResponse(outcomes: readonly BatchOutcome[]): { status: HttpStatus.OK; body: BatchView } {
  return {
    status: HttpStatus.OK,
    body: {
      results: outcomes.map((outcome, index): BatchResultView => {
        if ('result' in outcome) {
          const { status, body } = submissionResponse(outcome.result);
          return { index, status, warranties: body.warranties };
        }
        const error = toErrorBody(outcome.refused);
        return { index, status: error.statusCode, error: error as ErrorResponseView };
      }),
    },
  };
}
