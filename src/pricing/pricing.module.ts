import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AdminOnlyGuard } from '../access/admin-only.guard.js';
import { PricingCatalog } from './pricing-catalog.js';
import { PricingItemTypeSchema, PricingPlanSchema, PricingVersionSchema } from './pricing-version.entity.js';
import { PricingVersionRepository } from './pricing-version.repository.js';
import { PricingVersionsController } from './pricing-versions.controller.js';
import { PricingVersionsService } from './pricing-versions.service.js';
import { PricingController } from './pricing.controller.js';
import { PricingService } from './pricing.service.js';

/** Pricing versions (tables, admin API, the in-memory catalog every process quotes from) and quoting. */
@Module({
  imports: [MikroOrmModule.forFeature([PricingVersionSchema, PricingItemTypeSchema, PricingPlanSchema])],
  providers: [PricingVersionRepository, PricingCatalog, PricingService, PricingVersionsService, AdminOnlyGuard],
  controllers: [PricingController, PricingVersionsController],
  exports: [PricingService],
})
export class PricingModule {}
