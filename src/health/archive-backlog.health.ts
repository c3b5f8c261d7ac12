import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ArchiveOutbox } from '../archive/archive-outbox.js';
import { withTimeout } from '../common/with-timeout.js';
import { HEALTH_CHECK_TIMEOUT_MS } from './database.health.js';
import { ArchiveTarget } from '../archive/archive-target.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/app-config.js';

/**
 * Reports the archive backlog. A stuck backlog (oldest record older than ARCHIVE_STUCK_AFTER_MS) is
 * flagged `stuck: true` but keeps the instance ready: an S3 outage must not take the API down with
 * it, since every record waits safely in the outbox.
 */
@Injectable()
export class ArchiveBacklogHealth {
  constructor(
    private readonly outbox: ArchiveOutbox,
    private readonly target: ArchiveTarget,
    private readonly indicators: HealthIndicatorService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async check() {
    const indicator = this.indicators.check('archive');
    try {
      const backlog = await withTimeout(this.outbox.backlog(), HEALTH_CHECK_TIMEOUT_MS, 'archive backlog');
      return indicator.up({
        target: this.target.describe(),
        backlog: backlog.pending,
        oldest_pending_age_seconds: Math.round(backlog.oldestPendingAgeSeconds),
        stuck: backlog.oldestPendingAgeSeconds * 1000 > this.config.archive.stuckAfterMs,
      });
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'backlog unknown' });
    }
  }
}
