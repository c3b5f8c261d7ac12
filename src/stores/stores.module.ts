import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { StoreSchema } from './store.entity.js';
import { StoreRepository } from './store.repository.js';
import { StoresService } from './stores.service.js';

@Module({
  imports: [MikroOrmModule.forFeature([StoreSchema])],
  providers: [StoreRepository, StoresService],
  exports: [StoresService],
})
export class StoresModule {}
