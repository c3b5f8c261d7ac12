import { Inject, Injectable } from '@nestjs/common';
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
@Injectable()
export class ArchiveOutbox {
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

  async markArchived(id: number): Promise<void> {
    await this.db.query('UPDATE archive_record SET archived_at = now(), last_error = NULL WHERE id = ?', [id]);
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
}
