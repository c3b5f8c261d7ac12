import { HttpStatus } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { toErrorBody } from '../../http/error-body.js';
import { ErrorResponseView } from '../../http/error-response.view.js';
import { centsToAmount } from '../../common/money.js';
import { CHANGES, type BatchOutcome, type Change, type SubmissionResult, type Warranty } from '../warranty.js';
import { MONEY_DECIMALS } from '../../openapi/schema-extensions.js';
import { ITEM_TYPE_VALUES } from '../../pricing/pricing-fields.js';

/** A money amount on the wire. */
export const MONEY = { type: Number, minimum: 0, ...MONEY_DECIMALS, description: 'JSON number with at most 2 decimal places.' } as const;

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

/** `change` on the wire: an enum, so generated clients type it as these three values. */
export const CHANGE_PROPERTY = {
  enum: CHANGES,
  enumName: 'Change',
  example: 'created',
  description:
    'What this submission did to the item: `created` (a new item), `updated` (its fields or its plan set changed, ' +
    're-pricing under another version included) or `unchanged` (it was already so). Independent of the status code ' +
    '(201 when any plan was created).',
} as const;

export class WarrantiesView {
  @ApiProperty(CHANGE_PROPERTY)
  change: Change;

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

type SubmissionResponse = { status: HttpStatus.CREATED | HttpStatus.OK; body: WarrantiesView };
/** Each result's answer, made once: the archive keeps it (inside the submission's transaction), the controller sends it. */
const submissionResponses = new WeakMap<SubmissionResult, SubmissionResponse>();

/**
 * What the store is answered for a submission: 201 when any plan was created, else 200. The
 * controller sends it; the service publishes it with the submission, so the archive keeps exactly it.
 */
export function submissionResponse(result: SubmissionResult): SubmissionResponse {
  let response = submissionResponses.get(result);
  if (!response) {
    response = {
      status: result.created ? HttpStatus.CREATED : HttpStatus.OK,
      body: { change: result.change, warranties: result.warranties.map(toWarrantyView) },
    };
    submissionResponses.set(result, response);
  }
  return response;
}

const BATCH_SAVED_STATUSES = [HttpStatus.CREATED, HttpStatus.OK] as const;
const BATCH_REFUSED_STATUSES = [HttpStatus.BAD_REQUEST, HttpStatus.UNPROCESSABLE_ENTITY] as const;

/** A batch item that was saved: what a single POST of it would have answered (201 or 200) and its plans. */
export class BatchSavedResultView {
  @ApiProperty({ type: 'integer', example: 0, description: 'Position of the item in the request.' }) index: number;
  @ApiProperty({
    type: 'integer',
    enum: BATCH_SAVED_STATUSES,
    example: 201,
    description: '201 when any plan was created for the item, else 200 (as a single POST).',
  })
  status: (typeof BATCH_SAVED_STATUSES)[number];
  @ApiProperty(CHANGE_PROPERTY)
  change: Change;
  @ApiProperty({ type: [WarrantyView], description: 'The item’s plans, ordered by duration.' })
  warranties: WarrantyView[];
}

/** A batch item that was refused: the error a single POST of it would have got (400 or 422); nothing of it was written. */
export class BatchRefusedResultView {
  @ApiProperty({ type: 'integer', example: 1, description: 'Position of the item in the request.' }) index: number;
  @ApiProperty({
    type: 'integer',
    enum: BATCH_REFUSED_STATUSES,
    example: 422,
    description: '400 for an invalid item, 422 for one no plan fits (as a single POST).',
  })
  status: (typeof BATCH_REFUSED_STATUSES)[number];
  @ApiProperty({ type: ErrorResponseView, description: 'Why the item was refused; `details` names its own fields.' })
  error: ErrorResponseView;
}

/** One item's result: a union told apart by `status` (warranties for 201/200, error for 400/422). */
export type BatchResultView = BatchSavedResultView | BatchRefusedResultView;

const SAVED = getSchemaPath(BatchSavedResultView);
const REFUSED = getSchemaPath(BatchRefusedResultView);

@ApiExtraModels(BatchSavedResultView, BatchRefusedResultView)
export class BatchView {
  @ApiProperty({
    type: 'array',
    items: {
      oneOf: [{ $ref: SAVED }, { $ref: REFUSED }],
      // Generated clients turn this into a tagged union: `status` says whether `warranties` or `error` is there.
      discriminator: {
        propertyName: 'status',
        mapping: Object.fromEntries([
          ...BATCH_SAVED_STATUSES.map((status) => [String(status), SAVED]),
          ...BATCH_REFUSED_STATUSES.map((status) => [String(status), REFUSED]),
        ]),
      },
    },
    description: 'One result per item, in the order sent.',
  })
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
          return { index, status, change: body.change, warranties: body.warranties };
        }
        const error = toErrorBody(outcome.refused);
        return { index, status: error.statusCode as BatchRefusedResultView['status'], error: error as ErrorResponseView };
      }),
    },
  };
}
