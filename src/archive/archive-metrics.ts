import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { ArchiveRecordRepository, type Backlog } from './archive-record.repository.js';

@Injectable()
export class ArchiveMetrics {
  readonly uploads: Counter;
  readonly failures: Counter;

  constructor(registry: Registry, records: ArchiveRecordRepository) {
    this.uploads = new Counter({ name: 'archive_uploads_total', help: 'Archive records uploaded by this process', registers: [registry] });
    this.failures = new Counter({
      name: 'archive_upload_failures_total',
      help: 'Failed archive uploads (each is retried)',
      registers: [registry],
    });
    // Backlog figures come from the outbox table itself, read at scrape time (each gauge reads for
    // itself, so neither shows the previous scrape's value), so every instance reports the shared truth.
    // Every worker reads the same table: across a cluster these take the max, not the sum.
    const gaugeOfBacklog = (name: string, help: string, value: (backlog: Backlog) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        aggregator: 'max',
        async collect() {
          try {
            this.set(value(await records.backlog()));
          } catch {
            // Database down: keep the last value rather than failing the whole scrape.
          }
        },
      });
    gaugeOfBacklog('archive_backlog_records', 'Archive records not yet uploaded', (backlog) => backlog.pending);
    gaugeOfBacklog(
      'archive_oldest_pending_age_seconds',
      'Age of the oldest record not yet uploaded (0 when none)',
      (backlog) => backlog.oldestPendingAgeSeconds,
    );
  }
}
