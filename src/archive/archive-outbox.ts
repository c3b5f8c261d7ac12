import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/app-config.js';
import { Database, type DbTransaction } from '../database/database.js';
import { archiveKey } from './archive-key.js';
import type { ArchiveDocument, ArchiveRecordRef } from './archive-record.js';

export interface NewArchiveRecord {
  requestId: string;
  receivedAt: Date;
  storeUuid: string;
  request: unknown;
  response: { status: number; body: unknown };
}

export interface Backlog {
  pending: number;
  oldestPendingAgeSeconds: number;
}

interface ClaimedRow {
  id: string;
  object_key: string;
  document: ArchiveDocument | string;
  attempts: number;
  [column: string]: unknown;
}

/**
 * The archive outbox table. A new record starts leased to the process that wrote it (its listener
 * uploads right after commit); when that lease runs out unarchived, e.g. after a crash, any
 * instance's sweeper may claim it. Claims use FOR UPDATE SKIP LOCKED, so instances never share one.
 */
const ARCHIVED_BATCH = 500;
const ARCHIVED_FLUSH_MS = 20;

@Injectable()
export class ArchiveOutbox {
  private readonly logger = new Logger('ArchiveOutbox');
  private archivedIds: number[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async add(tx: DbTransaction, record: NewArchiveRecord): Promise<ArchiveRecordRef> {
    const eventId = randomUUID();
    const objectKey = archiveKey(record.receivedAt, record.storeUuid, eventId);
    const document: ArchiveDocument = {
      event_id: eventId,
      request_id: record.requestId,
      received_at: record.receivedAt.toISOString(),
      request: record.request,
      response: record.response,
    };
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO archive_record (event_id, object_key, document, attempts, next_attempt_at)
       VALUES (?, ?, ?::jsonb, 1, now() + ?::int * interval '1 millisecond') RETURNING id`,
      [eventId, objectKey, JSON.stringify(document), this.config.archive.leaseMs],
      tx,
    );
    return { id: Number(rows[0].id), objectKey, document, attempts: 1 };
  }

  /** Takes up to `limit` records that are due (never uploaded, failed, or orphaned by a dead process). */
  async claimDue(limit: number): Promise<ArchiveRecordRef[]> {
    const rows = await this.db.query<ClaimedRow>(
      `UPDATE archive_record SET attempts = attempts + 1, next_attempt_at = now() + ?::int * interval '1 millisecond'
       WHERE id IN (
         SELECT id FROM archive_record
         WHERE archived_at IS NULL AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED)
       RETURNING id, object_key, document, attempts`,
      [this.config.archive.leaseMs, limit],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      objectKey: row.object_key,
      document: typeof row.document === 'string' ? (JSON.parse(row.document) as ArchiveDocument) : row.document,
      attempts: Number(row.attempts),
    }));
  }

  /**
   * Notes a record as uploaded. Marks are written in batches (one UPDATE per ~20 ms or 500 records)
   * because one commit per POST just for this mark doubled the WAL flushes the bench measured.
   * A mark lost to a crash only means one more upload of the same key after the lease.
   */
  markArchived(id: number): void {
    this.archivedIds.push(id);
    if (this.archivedIds.length >= ARCHIVED_BATCH) void this.flushArchived();
    else this.flushTimer ??= setTimeout(() => void this.flushArchived(), ARCHIVED_FLUSH_MS);
  }

  /** Writes the pending marks now; resolves when every mark noted so far has been written (or failed). */
  async flushArchived(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = this.archivedIds.splice(0);
    const write =
      ids.length === 0
        ? Promise.resolve()
        : this.db
            .query('UPDATE archive_record SET archived_at = now(), last_error = NULL WHERE id = ANY (?::bigint[])', [`{${ids.join(',')}}`])
            .then(
              () => undefined,
              (error: unknown) => this.onMarkFailure(ids.length, error),
            );
    this.flushing = this.flushing.then(() => write);
    await this.flushing;
  }

  async markFailed(id: number, retryInMs: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE archive_record SET next_attempt_at = now() + ?::int * interval '1 millisecond', last_error = ?
       WHERE id = ? AND archived_at IS NULL`,
      [retryInMs, error.slice(0, 1000), id],
    );
  }

  /** Gives a record back to the sweepers now, e.g. when this process has no room to upload it. */
  async release(id: number): Promise<void> {
    await this.db.query('UPDATE archive_record SET next_attempt_at = now() WHERE id = ? AND archived_at IS NULL', [id]);
  }

  async backlog(): Promise<Backlog> {
    const [row] = await this.db.query<{ pending: string; oldest: string | null }>(
      `SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at)) AS oldest
       FROM archive_record WHERE archived_at IS NULL`,
    );
    return { pending: Number(row.pending), oldestPendingAgeSeconds: row.oldest === null ? 0 : Math.max(0, Number(row.oldest)) };
  }

  /** Deletes archived records past retention, a batch at a time; returns how many went. */
  async prune(retentionHours: number, batch = 5000): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `DELETE FROM archive_record WHERE id IN (
         SELECT id FROM archive_record
         WHERE archived_at IS NOT NULL AND archived_at < now() - ?::int * interval '1 hour'
         LIMIT ?)
       RETURNING id`,
      [retentionHours, batch],
    );
    return rows.length;
  }

  private onMarkFailure(count: number, error: unknown): void {
    this.logger.warn({
      message: 'could not mark uploaded archive records; they will be uploaded again after their lease',
      count,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
