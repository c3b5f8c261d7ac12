import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ItemsModule } from '../items/items.module.js';
import { PricingModule } from '../pricing/pricing.module.js';
import { StoresModule } from '../stores/stores.module.js';
import { WarrantiesController } from './warranties.controller.js';
import { SubmissionMetrics } from './submission-metrics.js';
import { SubmissionWriter } from './submission-writer.js';
import { WarrantiesService } from './warranties.service.js';
import { WarrantySchema } from './warranty.entity.js';
import { WarrantyRepository } from './warranty.repository.js';

@Module({
  imports: [MikroOrmModule.forFeature([WarrantySchema]), StoresModule, ItemsModule, PricingModule],
  controllers: [WarrantiesController],
  providers: [WarrantyRepository, SubmissionWriter, WarrantiesService, SubmissionMetrics],
  exports: [WarrantiesService],
})
export class WarrantiesModule {}
