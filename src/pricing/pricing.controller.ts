import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PricingTable } from './pricing-table.js';
import { pricingTableView, PricingTableView } from './pricing-table.view.js';
import { PRICING_TABLE } from './pricing.service.js';

@ApiTags('pricing')
@Controller('api/pricing')
export class PricingController {
  private readonly view: PricingTableView;

  constructor(@Inject(PRICING_TABLE) table: PricingTable) {
    this.view = pricingTableView(table);
  }

  @Get()
  @ApiOperation({
    operationId: 'getPricing',
    summary: 'The active pricing table (read-only)',
    description:
      'Which item types can get a plan, each with its eligible cost range (inclusive) and its plans: ' +
      '`price = base + rate × item_cost`, rounded half up to the cent. An item outside these rules gets 422 ITEM_NOT_ELIGIBLE.',
  })
  @ApiOkResponse({ type: PricingTableView })
  getPricing(): PricingTableView {
    return this.view;
  }
}
