import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/app-config.js';
import { ArchiveMetrics } from './archive-metrics.js';
import { ArchiveOutbox } from './archive-outbox.js';
import { ArchiveSweeper } from './archive-sweeper.js';
import { ArchiveTarget } from './archive-target.js';
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
  providers: [
    { provide: ArchiveTarget, inject: [APP_CONFIG], useFactory: createArchiveTarget },
    ArchiveOutbox,
    ArchiveMetrics,
    ArchiveUploader,
    ArchiveListener,
    ArchiveSweeper,
  ],
  exports: [ArchiveOutbox, ArchiveTarget],
})
export class ArchiveModule {}
