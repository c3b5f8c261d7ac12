import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { ArchiveRecordRepository } from './archive-record.repository.js';

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
    // Backlog figures come from the outbox table itself, so every instance reports the shared truth.
    // Every worker reads the same table: across a cluster these take the max, not the sum.
    const pending = new Gauge({
      name: 'archive_backlog_records',
      help: 'Archive records not yet uploaded',
      registers: [registry],
      aggregator: 'max',
    });
    const oldest = new Gauge({
      name: 'archive_oldest_pending_age_seconds',
      help: 'Age of the oldest record not yet uploaded (0 when none)',
      registers: [registry],
      aggregator: 'max',
      async collect() {
        try {
          const backlog = await records.backlog();
          pending.set(backlog.pending);
          this.set(backlog.oldestPendingAgeSeconds);
        } catch {
          // Database down: keep the last values rather than failing the whole scrape.
        }
      },
    });
    void oldest;
  }
}
