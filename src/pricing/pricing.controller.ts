import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Caller } from '../access/api-key.js';
import { CurrentCaller } from '../access/caller.decorator.js';
import { ApiErrors } from '../common/api-docs.js';
import { centsFromAmount } from '../common/money.js';
import { PricingQuery } from './dto/pricing.query.js';
import { QuoteRequestDto } from './dto/quote.dto.js';
import { pricingTableView, PricingTableView } from './pricing-table.view.js';
import { PricingService } from './pricing.service.js';
import { quoteView, QuoteView } from './quote.view.js';

const QUOTE_EXAMPLE = { store_uuid: 'b21ad0676f26439', item_type: 'furniture', item_cost: 150 };

@ApiTags('pricing')
@Controller('api/pricing')
export class PricingController {
  constructor(private readonly pricing: PricingService) {}

  @Get()
  @ApiOperation({
    operationId: 'getPricing',
    summary: 'The pricing table in force for the caller (read-only)',
    description:
      'A store key gets its store’s table; an admin key the default table, or a store’s with `?store_uuid=`. Which item types ' +
      'can get a plan, each with its eligible cost range (inclusive) and its plans: `price = base + rate × item_cost`, rounded ' +
      'half up to the cent; `next` is the version scheduled to replace it. An item outside these rules gets 422 ITEM_NOT_ELIGIBLE.',
  })
  @ApiOkResponse({ type: PricingTableView })
  @ApiErrors('400-store-query', 403)
  getPricing(@Query() query: PricingQuery, @CurrentCaller() caller: Caller): PricingTableView {
    const { version, next } = this.pricing.tableFor(caller, query.store_uuid);
    return pricingTableView(version, next);
  }

  @Post('quote')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'quotePlans',
    summary: 'What plans an item would get now, without submitting it',
    description:
      'Prices the item exactly as POST /api/warranties would at this instant (the version in force for its store), with the ' +
      'same field rules; nothing is written or archived. A store key quotes for its own store only.',
  })
  @ApiBody({ type: QuoteRequestDto, examples: { seed: { summary: 'Furniture at 150.00', value: QUOTE_EXAMPLE } } })
  @ApiOkResponse({ type: QuoteView, description: 'The plans, and the version that priced them.' })
  @ApiErrors('400-body', 403, 413, 415, 422)
  quote(@Body() dto: QuoteRequestDto, @CurrentCaller() caller: Caller): QuoteView {
    return quoteView(this.pricing.offer(caller, dto.store_uuid, dto.item_type, centsFromAmount(dto.item_cost)));
  }
}
