import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const WRITE_RETRY_REASONS = ['deadlock', 'serialization'] as const;
export type WriteRetryReason = (typeof WRITE_RETRY_REASONS)[number];

/** How single POSTs are grouped for commit, and how often writers crossed: what an operator reads to see write coalescing at work. */
@Injectable()
export class SubmissionMetrics {
  private readonly groupSizes: Histogram;
  private readonly retries: Counter<'reason'>;
  private queued: () => number = () => 0;

  constructor(registry: Registry) {
    this.groupSizes = new Histogram({
      name: 'warranty_write_group_size',
      help: 'Single POSTs saved per group commit (1 when the service is not busy; retries of a failed group count again)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'warranty_write_retries_total',
      help: 'Write transactions (groups and batches) run again after PostgreSQL aborted them for a deadlock or a serialization failure',
      labelNames: ['reason'],
      registers: [registry],
    });
    // Both reasons from 0: an alert on a rising count has a series before the first retry.
    for (const reason of WRITE_RETRY_REASONS) this.retries.inc({ reason }, 0);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect() with the gauge as `this`
    const metrics = this;
    new Gauge({
      name: 'warranty_writes_waiting',
      help: 'Single POSTs waiting for a group commit slot right now',
      registers: [registry],
      collect() {
        this.set(metrics.queued());
      },
    });
  }

  /** Where the waiting count comes from (the service's group commit). */
  watch(queued: () => number): void {
    this.queued = queued;
  }

  groupSaved(size: number): void {
    this.groupSizes.observe(size);
  }

  writeRetried(reason: WriteRetryReason): void {
    this.retries.inc({ reason });
  }
}
