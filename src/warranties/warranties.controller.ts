import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiCreatedResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Caller } from '../access/api-key.js';
import { CurrentCaller } from '../access/caller.decorator.js';
import { ApiError } from '../http/api-error.js';
import { STORE_MISMATCH } from '../access/access-api-errors.js';
import { ApiErrors, BAD_BODY, BAD_ID, BAD_QUERY, NOT_JSON, PAYLOAD_TOO_LARGE, UNAVAILABLE, UNAVAILABLE_WRITE } from '../http/api-docs.js';
import { NOT_ELIGIBLE } from '../pricing/pricing-api-errors.js';
import { WARRANTY_NOT_FOUND } from './warranty-api-errors.js';
import type { RequestWithContext } from '../http/request-context.js';
import { tracing } from '../tracing/tracing.js';
import { BatchItemDto, CreateWarrantyBatchDto } from './dto/create-warranty-batch.dto.js';
import { CreateWarrantyDto, EXAMPLE_SUBMISSION } from './dto/create-warranty.dto.js';
import { DEFAULT_PAGE_SIZE } from '../http/page-query.js';
import { ListWarrantiesQuery } from './dto/list-warranties.query.js';
import {
  batchResponse,
  BatchView,
  submissionResponse,
  toWarrantyView,
  WarrantiesView,
  WarrantyPageView,
  WarrantyView,
} from './dto/warranty.view.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import { WarrantiesService, type BatchEntry, type SubmissionContext } from './warranties.service.js';
import { RequestValidationPipe } from '../http/validation.pipe.js';

const BATCH_EXAMPLE = {
  store_uuid: EXAMPLE_SUBMISSION.store_uuid,
  items: [
    { item_type: 'furniture', item_sku: '986kjeo8fy9qhu', item_cost: 150.0, item_title: "Amy's Sectional Sofa" },
    { item_type: 'electronics', item_sku: 'tv-55-oled', item_cost: 1299.99, item_title: '55" OLED TV' },
  ],
};
const MAX_ID = 9_007_199_254_740_991;

/** Where a submission came from: the request as received (the raw body for the archive) and whose key sent it. */
const submissionContext = (request: RequestWithContext, caller: Caller): SubmissionContext => ({
  requestId: request.requestId,
  receivedAt: request.receivedAt,
  payload: request.body,
  caller,
  traceOrigin: tracing?.capture(),
});

@ApiTags('warranties')
@Controller('api/warranties')
export class WarrantiesController {
  /** The rules of a single POST's body, applied to each item of a batch. */
  private readonly itemRules = new RequestValidationPipe();

  constructor(private readonly warranties: WarrantiesService) {}

  @Post()
  @ApiOperation({
    operationId: 'submitWarranty',
    summary: 'Submit an item; get (and keep) its protection plans',
    description:
      'Upserts the store and the item, and replaces the item’s plans with what the active pricing table offers (GET /api/pricing). ' +
      'Idempotent: re-sending the same payload changes nothing and answers 200.',
  })
  @ApiBody({ type: CreateWarrantyDto, examples: { seed: { summary: 'Furniture at 150.00', value: EXAMPLE_SUBMISSION } } })
  @ApiCreatedResponse({ type: WarrantiesView, description: 'At least one plan was created.' })
  @ApiOkResponse({ type: WarrantiesView, description: 'Plans already existed; they were updated or stayed as they were.' })
  @ApiErrors(BAD_BODY, STORE_MISMATCH, PAYLOAD_TOO_LARGE, NOT_JSON, NOT_ELIGIBLE, UNAVAILABLE_WRITE)
  async submit(
    @Body() dto: CreateWarrantyDto,
    @Req() request: RequestWithContext,
    @Res({ passthrough: true }) response: Response,
    @CurrentCaller() caller: Caller,
  ): Promise<WarrantiesView> {
    const result = await this.warranties.submit(dto, submissionContext(request, caller));
    const { status, body } = submissionResponse(result);
    response.status(status);
    return body;
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'submitWarrantyBatch',
    summary: 'Submit up to 500 items of one store at once (catalogue sync)',
    description:
      'Each item is validated, priced and saved on its own, with the same rules and upsert semantics as a single POST; ' +
      'the answer has one result per item, in order, with the status a single POST of it would have had. ' +
      'A bad envelope (store_uuid, items) is a 400 and nothing is written. The same SKU twice: the later one wins. ' +
      'Body up to 1 MiB.',
  })
  @ApiBody({ type: CreateWarrantyBatchDto, examples: { seed: { summary: 'Two items', value: BATCH_EXAMPLE } } })
  @ApiOkResponse({ type: BatchView, description: 'One result per item: 201/200 with its plans, or 400/422 with its error.' })
  @ApiErrors(BAD_BODY, STORE_MISMATCH, PAYLOAD_TOO_LARGE, NOT_JSON, UNAVAILABLE_WRITE)
  async submitBatch(
    @Body() dto: CreateWarrantyBatchDto,
    @Req() request: RequestWithContext,
    @CurrentCaller() caller: Caller,
  ): Promise<BatchView> {
    // Each item through the same validation as a single POST's body: a bad item is its own 400 result.
    const entries = await Promise.all(
      dto.items.map(async (raw): Promise<BatchEntry> => {
        try {
          return { item: (await this.itemRules.transform(raw, { type: 'body', metatype: BatchItemDto })) as BatchItemDto };
        } catch (error) {
          if (error instanceof ApiError) return { refused: error };
          throw error;
        }
      }),
    );
    const outcomes = await this.warranties.submitBatch(dto.store_uuid, entries, submissionContext(request, caller));
    return batchResponse(outcomes).body;
  }

  @Get()
  @ApiOperation({
    operationId: 'listWarranties',
    summary: 'List plans, filtered and paged by id (keyset cursor)',
    description: 'Every filter is optional; given filters are ANDed. Without filters, all plans, one page at a time.',
  })
  @ApiOkResponse({ type: WarrantyPageView })
  @ApiErrors(BAD_QUERY, STORE_MISMATCH, UNAVAILABLE)
  async list(@Query() query: ListWarrantiesQuery, @CurrentCaller() caller: Caller): Promise<WarrantyPageView> {
    // ListWarrantiesQuery has refused any cursor decodeCursor does not accept.
    const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const page = await this.warranties.list(
      {
        storeUuid: query.store_uuid,
        itemType: query.item_type,
        sku: query.sku,
        afterId,
        limit: query.limit ?? DEFAULT_PAGE_SIZE,
      },
      caller,
    );
    const last = page.warranties.at(-1);
    return { warranties: page.warranties.map(toWarrantyView), next_cursor: page.hasMore && last ? encodeCursor(last.id) : null };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getWarranty', summary: 'One plan by id' })
  @ApiParam({
    name: 'id',
    description: 'The plan’s `id`: a positive integer (at most 2^53 − 1).',
    schema: { type: 'integer', format: 'int64', minimum: 1, maximum: MAX_ID },
  })
  @ApiOkResponse({ type: WarrantyView })
  @ApiErrors(BAD_ID, WARRANTY_NOT_FOUND, UNAVAILABLE)
  async findOne(@Param('id') id: string, @CurrentCaller() caller: Caller): Promise<WarrantyView> {
    if (!/^[1-9]\d{0,15}$/.test(id) || Number(id) > MAX_ID) {
      throw ApiError.validation([{ field: 'id', message: 'must be a positive integer' }]);
    }
    return toWarrantyView(await this.warranties.findOne(Number(id), caller));
  }
}
