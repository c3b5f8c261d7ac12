import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ArchiveRecordRepository } from '../archive/archive-record.repository.js';
import { ArchiveTarget } from '../archive/archive-target.js';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { errorText } from '../common/error-text.js';

/** Readiness is polled often; a check slower than this counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = 1500;

/**
 * Reports the archive backlog. A stuck backlog (oldest record older than ARCHIVE_STUCK_AFTER_MS) is
 * flagged `stuck: true` but keeps the instance ready: an S3 outage must not take the API down with
 * it, since every record waits safely in the outbox.
 */
@Injectable()
export class ArchiveBacklogHealth {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly records: ArchiveRecordRepository,
    private readonly target: ArchiveTarget,
    private readonly indicators: HealthIndicatorService,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  check() {
    return this.indicators
      .check('archive')
      .attempt(async () => {
        const backlog = await this.records.backlog().catch((error: unknown) => {
          // Readiness is public: the reason goes to the log, the answer says only what failed.
          this.logger.warn({ message: 'archive backlog check failed', error: errorText(error) });
          throw new Error('backlog unknown');
        });
        return {
          target: this.target.kind,
          backlog: backlog.pending,
          oldest_pending_age_seconds: Math.round(backlog.oldestPendingAgeSeconds),
          stuck: backlog.oldestPendingAgeSeconds * 1000 > this.config.archive.stuckAfterMs,
        };
      })
      .withTimeout(HEALTH_CHECK_TIMEOUT_MS);
  }
}
