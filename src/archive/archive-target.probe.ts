import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { ArchiveTarget } from './archive-target.js';
import { errorText } from '../common/error-text.js';

/** Outside the `warranties/` records, overwritten by every start. */
export const WRITE_CHECK_KEY = '.write-check.json';

/**
 * In production the service does not start with an archive target it cannot write (docs/contract/operations.md,
 * Operations): one small write at start-up proves the bucket (or folder) and the credentials, instead
 * of a ready service whose every archive upload fails into a silent backlog. A later outage of S3 is
 * different: records wait in the outbox and readiness stays 200 (see the README's Archive section).
 */
@Injectable()
export class ArchiveTargetProbe implements OnApplicationBootstrap {
  private readonly logger = new Logger('Archive');

  constructor(
    private readonly target: ArchiveTarget,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.production) return;
    try {
      await this.target.put(WRITE_CHECK_KEY, JSON.stringify({ checked_at: new Date().toISOString() }));
    } catch (error) {
      throw new Error(
        `the archive target ${this.target.describe()} cannot be written (${errorText(error)}): ` +
          'give S3_BUCKET (with credentials allowed to PutObject) or an ARCHIVE_DIR the service can write',
        { cause: error },
      );
    }
    // Allowed (ARCHIVE_DIR set on purpose, src/config/app-config.ts), but only as safe as that folder.
    if (this.target.kind === 'local') {
      this.logger.warn({
        message: 'archive to a local folder in production: records are only as durable as that folder (use S3_BUCKET, or a mounted volume)',
        target: this.target.describe(),
      });
    }
  }
}
