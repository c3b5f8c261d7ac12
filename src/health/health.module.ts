import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ArchiveModule } from '../archive/archive.module.js';
import { ArchiveBacklogHealth } from './archive-backlog.health.js';
import { DatabaseHealth } from './database.health.js';
import { Draining } from './draining.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ArchiveModule],
  controllers: [HealthController],
  providers: [ArchiveBacklogHealth, DatabaseHealth, Draining],
  exports: [Draining],
})
export class HealthModule {}
