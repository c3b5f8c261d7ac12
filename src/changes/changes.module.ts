import { Module } from '@nestjs/common';
import { ChangeFeedRepository } from './change-feed.repository.js';
import { ChangesController } from './changes.controller.js';
import { ChangesService } from './changes.service.js';

/** GET /api/changes: the change feed, read from the items' change positions (written by the items module). */
@Module({
  controllers: [ChangesController],
  providers: [ChangeFeedRepository, ChangesService],
})
export class ChangesModule {}
