import { Module } from '@nestjs/common';
import { ArchiveModule } from '../archive/archive.module.js';
import { ItemsModule } from '../items/items.module.js';
import { PricingModule } from '../pricing/pricing.module.js';
import { StoresModule } from '../stores/stores.module.js';
import { WarrantiesController } from './warranties.controller.js';
import { WarrantiesService } from './warranties.service.js';

@Module({
  imports: [StoresModule, ItemsModule, PricingModule, ArchiveModule],
  controllers: [WarrantiesController],
  providers: [WarrantiesService],
})
export class WarrantiesModule {}
