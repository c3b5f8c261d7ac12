import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ItemSchema } from './item.entity.js';
import { ItemRepository } from './item.repository.js';

@Module({
  imports: [MikroOrmModule.forFeature([ItemSchema])],
  providers: [ItemRepository],
  exports: [ItemRepository],
})
export class ItemsModule {}
