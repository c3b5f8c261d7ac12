import { Module } from '@nestjs/common';
import { PricingController } from './pricing.controller.js';
import { ACTIVE_PRICING } from './pricing-rules.js';
import { PRICING_TABLE, PricingService } from './pricing.service.js';

@Module({
  providers: [{ provide: PRICING_TABLE, useValue: ACTIVE_PRICING }, PricingService],
  controllers: [PricingController],
  exports: [PricingService],
})
export class PricingModule {}
