import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import { DatabaseOutage } from '../database/database-outage.js';
import { ArchiveRecordRepository } from './archive-record.repository.js';
import { ArchiveTarget } from './archive-target.js';
import { ArchiveUploader } from './archive-uploader.js';
import { errorText } from '../common/error-text.js';

const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * Picks up what the listener could not finish: failed uploads (after their backoff) and records whose
 * writer died (after their lease). Runs in every instance; FOR UPDATE SKIP LOCKED keeps them apart.
 */
@Injectable()
export class ArchiveSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ArchiveSweeper');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastPrune = 0;
  private stopped = false;

  constructor(
    private readonly records: ArchiveRecordRepository,
    private readonly uploader: ArchiveUploader,
    private readonly target: ArchiveTarget,
    private readonly outage: DatabaseOutage,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.logger.log({ message: 'archiving submissions', target: this.target.describe() });
    this.schedule(0);
  }

  /** One pass: claim as many due records as the uploader has room for. Returns how many it claimed. */
  async sweepOnce(): Promise<number> {
    const room = Math.min(this.uploader.room, this.config.archive.batchSize);
    let claimed = 0;
    if (room > 0) {
      const records = await this.records.claimDue(room);
      for (const record of records) await this.uploader.offer(record);
      claimed = records.length;
    }
    if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      const pruned = await this.records.prune(this.config.archive.retentionHours);
      if (pruned > 0) this.logger.log({ message: 'pruned archived outbox records', count: pruned });
    }
    return claimed;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    const left = await this.uploader.drain(this.config.shutdownDrainMs);
    if (left > 0) this.logger.warn({ message: 'shutdown deadline reached; unfinished archive uploads stay in the outbox', count: left });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweepOnce()
        .then((claimed) => {
          this.outage.recovered();
          this.schedule(claimed >= this.config.archive.batchSize ? 0 : this.config.archive.sweepIntervalMs);
        })
        .catch((error: unknown) => {
          // A database outage is logged once (DatabaseOutage), not every sweep interval.
          if (isDatabaseUnavailable(error)) this.outage.failed(error);
          else this.logger.warn({ message: 'archive sweep failed', error: errorText(error) });
          this.schedule(this.config.archive.sweepIntervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
