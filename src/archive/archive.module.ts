import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { ArchiveMetrics } from './archive-metrics.js';
import { ArchiveRecordSchema } from './archive-record.entity.js';
import { ArchiveRecordRepository } from './archive-record.repository.js';
import { ArchiveSweeper } from './archive-sweeper.js';
import { ArchiveTarget } from './archive-target.js';
import { ArchiveTargetProbe } from './archive-target.probe.js';
import { ArchiveUploader } from './archive-uploader.js';
import { ArchiveListener } from './archive.listener.js';
import { LocalArchiveTarget } from './local-archive-target.js';
import { S3ArchiveTarget } from './s3-archive-target.js';

export function createArchiveTarget(config: AppConfig): ArchiveTarget {
  const { archive } = config;
  if (archive.s3Bucket) return new S3ArchiveTarget({ ...archive, s3Bucket: archive.s3Bucket });
  return new LocalArchiveTarget(archive.localDir);
}

@Module({
  imports: [MikroOrmModule.forFeature([ArchiveRecordSchema])],
  providers: [
    { provide: ArchiveTarget, inject: [appConfig.KEY], useFactory: createArchiveTarget },
    ArchiveRecordRepository,
    ArchiveMetrics,
    ArchiveUploader,
    ArchiveListener,
    ArchiveSweeper,
    ArchiveTargetProbe,
  ],
  exports: [ArchiveRecordRepository, ArchiveTarget],
})
export class ArchiveModule {}
