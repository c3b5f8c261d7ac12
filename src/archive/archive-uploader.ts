import { Inject, Injectable, Logger } from '@nestjs/common';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { ArchiveMetrics } from './archive-metrics.js';
import { ArchiveRecordRepository } from './archive-record.repository.js';
import type { ArchiveRecordRef } from './archive-record.js';
import { ArchiveTarget } from './archive-target.js';
import { backoffDelay } from '../common/backoff.js';
import { tracing } from '../tracing/tracing.js';

/**
 * Uploads records with at most `uploadConcurrency` in flight and a bounded queue behind them, so a
 * slow S3 costs neither request latency nor unbounded memory: what does not fit is handed back to
 * the sweepers through the outbox.
 */
@Injectable()
export class ArchiveUploader {
  private readonly logger = new Logger('Archive');
  private readonly queue: ArchiveRecordRef[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxQueued: number;

  constructor(
    private readonly records: ArchiveRecordRepository,
    private readonly target: ArchiveTarget,
    private readonly metrics: ArchiveMetrics,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {
    this.maxQueued = config.archive.uploadConcurrency * 64;
  }

  /** How many more records this process can take on now. */
  get room(): number {
    return Math.max(0, this.maxQueued - this.queue.length - this.inFlight.size);
  }

  get busy(): number {
    return this.queue.length + this.inFlight.size;
  }

  /** Queues a record it holds the lease of. Returns false (and releases the lease) when full. */
  async offer(record: ArchiveRecordRef): Promise<boolean> {
    if (this.room === 0) {
      await this.records.release(record.id).catch((error: unknown) => this.logFailure('release', record, error));
      return false;
    }
    this.queue.push(record);
    this.pump();
    return true;
  }

  /** Waits for queued and in-flight uploads, at most `deadlineMs`; returns how many were left unfinished. */
  async drain(deadlineMs: number): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    // A POST answered just before shutdown has emitted its event, but the async listener only runs on
    // the next setImmediate turn, and closing the server can complete entirely in microtasks before
    // that: one turn here lets those records be offered (setImmediate runs in order) before we count.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.busy > 0 && Date.now() < deadline) {
      const timeLeft = deadline - Date.now();
      await Promise.race([Promise.race(this.inFlight), new Promise((resolve) => setTimeout(resolve, Math.min(timeLeft, 100)))]);
    }
    await this.records.flushArchived();
    return this.busy;
  }

  private pump(): void {
    while (this.inFlight.size < this.config.archive.uploadConcurrency && this.queue.length > 0) {
      const record = this.queue.shift()!;
      const upload = this.upload(record).finally(() => {
        this.inFlight.delete(upload);
        this.pump();
      });
      this.inFlight.add(upload);
    }
  }

  private upload(record: ArchiveRecordRef): Promise<void> {
    // After the answer: with tracing on, a trace of its own, linked to the request's.
    const attributes = { 'archive.record_id': record.id, 'archive.object_key': record.objectKey };
    return tracing
      ? tracing.inLinkedTrace('archive upload', record.traceOrigin, attributes, () => this.tryUpload(record))
      : this.tryUpload(record);
  }

  private async tryUpload(record: ArchiveRecordRef): Promise<void> {
    try {
      await this.target.put(record.objectKey, record.body ?? JSON.stringify(record.document));
    } catch (error) {
      this.metrics.failures.inc();
      const retryInMs = backoffDelay(record.attempts, this.config.archive.backoffBaseMs, this.config.archive.backoffMaxMs);
      this.logFailure('upload', record, error, retryInMs);
      await this.records.markFailed(record.id, retryInMs, describe(error)).catch((e: unknown) => this.logFailure('mark failed', record, e));
      return;
    }
    this.metrics.uploads.inc();
    this.records.markArchived(record.id);
  }

  private logFailure(step: string, record: ArchiveRecordRef, error: unknown, retryInMs?: number): void {
    this.logger.warn({
      message: `archive ${step} failed`,
      record_id: record.id,
      event_id: record.document.event_id,
      request_id: record.document.request_id,
      attempts: record.attempts,
      retry_in_ms: retryInMs,
      error: describe(error),
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
