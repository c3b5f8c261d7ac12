import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager, type InferKyselyDB } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import { DatabaseOutage } from '../database/database-outage.js';
import { Sql } from '../database/sql.js';
import { archiveKey } from './archive-key.js';
import type { ArchiveRecordSchema } from './archive-record.entity.js';
import type { ArchiveDocument, ArchiveRecordRef } from './archive-record.js';
import { errorText } from '../common/error-text.js';
import type { TraceOrigin } from '../tracing/tracing-types.js';

/** The archive_record table as Kysely sees it, inferred from the entity. */
type ArchiveTables = InferKyselyDB<typeof ArchiveRecordSchema>;

export interface NewArchiveRecord {
  requestId: string;
  receivedAt: Date;
  storeUuid: string;
  keyPrefix: string;
  request: unknown;
  response: { status: number; body: unknown };
  traceOrigin?: TraceOrigin;
}

export interface Backlog {
  pending: number;
  oldestPendingAgeSeconds: number;
}

const ARCHIVED_BATCH = 500;
const ARCHIVED_FLUSH_MS = 250;
const msFromNow = (ms: number) => sql<Date>`now() + ${ms}::int * interval '1 millisecond'`;

/** A record about to be inserted: serialized once, for the outbox and then the upload. */
type OutboxDraft = Omit<ArchiveRecordRef, 'id'> & { body: string };

/**
 * The archive_record table: the outbox. A new record starts leased to the process that wrote it (its
 * listener uploads right after commit); when that lease runs out unarchived, e.g. after a crash, any
 * instance's sweeper may claim it. Claims use FOR UPDATE SKIP LOCKED, so instances never share one.
 * The two statements every POST costs (the insert, the batched "archived" mark) are prepared SQL;
 * the sweeper's, retry and readiness statements go through the ORM's Kysely.
 */
@Injectable()
export class ArchiveRecordRepository {
  private readonly logger = new Logger('ArchiveRecords');
  private archivedIds: number[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sql: Sql,
    private readonly em: EntityManager,
    private readonly outage: DatabaseOutage,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  private get db() {
    return this.em.getKysely<ArchiveTables>();
  }

  /** Inserts the record, inside the caller's transaction when there is one. */
  async add(record: NewArchiveRecord): Promise<ArchiveRecordRef> {
    const [added] = await this.addMany([record]);
    return added;
  }

  /**
   * Inserts the records (one per request of a group commit) in one statement, inside the caller's
   * transaction when there is one. One record (every POST saved alone) gets a plain statement; many
   * get unnest() arrays, as in the item and plan statements.
   */
  async addMany(records: readonly NewArchiveRecord[]): Promise<ArchiveRecordRef[]> {
    const drafts = records.map((record) => {
      const eventId = randomUUID();
      const document: ArchiveDocument = {
        event_id: eventId,
        request_id: record.requestId,
        received_at: record.receivedAt.toISOString(),
        key_prefix: record.keyPrefix,
        request: record.request,
        response: record.response,
      };
      return {
        objectKey: archiveKey(record.receivedAt, record.storeUuid, eventId),
        document,
        body: JSON.stringify(document),
        attempts: 1,
        traceOrigin: record.traceOrigin,
      };
    });
    const ids = drafts.length === 1 ? [await this.insertOne(drafts[0])] : await this.insertMany(drafts);
    return drafts.map((draft, i) => ({ id: ids[i], ...draft }));
  }

  private async insertOne(draft: OutboxDraft): Promise<number> {
    const [row] = await this.sql.query<{ id: string }>(
      `INSERT INTO archive_record (event_id, object_key, document, attempts, next_attempt_at)
       VALUES (?, ?, ?::jsonb, 1, now() + ?::int * interval '1 millisecond') RETURNING id`,
      [draft.document.event_id, draft.objectKey, draft.body, this.config.archive.leaseMs],
    );
    return Number(row.id);
  }

  /** The ids in the drafts' order (RETURNING's order is not promised, so they are matched by event id). */
  private async insertMany(drafts: readonly OutboxDraft[]): Promise<number[]> {
    const rows = await this.sql.query<{ id: string; event_id: string }>(
      `INSERT INTO archive_record (event_id, object_key, document, attempts, next_attempt_at)
       SELECT event_id, object_key, document::jsonb, 1, now() + ?::int * interval '1 millisecond'
       FROM unnest(?::uuid[], ?::text[], ?::text[]) AS r(event_id, object_key, document)
       RETURNING id, event_id`,
      [
        this.config.archive.leaseMs,
        drafts.map((draft) => draft.document.event_id),
        drafts.map((draft) => draft.objectKey),
        drafts.map((draft) => draft.body),
      ],
    );
    const ids = new Map(rows.map((row) => [row.event_id, Number(row.id)]));
    return drafts.map((draft) => ids.get(draft.document.event_id)!);
  }

  /** Takes up to `limit` records that are due (never uploaded, failed, or orphaned by a dead process). */
  async claimDue(limit: number): Promise<ArchiveRecordRef[]> {
    const rows = await this.db
      .updateTable('archive_record')
      .set({ attempts: sql`attempts + 1`, next_attempt_at: msFromNow(this.config.archive.leaseMs) })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('archive_record')
          .select('id')
          .where('archived_at', 'is', null)
          .where('next_attempt_at', '<=', sql<Date>`now()`)
          .orderBy('next_attempt_at')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['id', 'object_key', 'document', 'attempts'])
      .execute();
    // pg hands bigint columns over as strings, whatever the inferred type says: hence Number().
    return rows.map((row) => ({
      id: Number(row.id),
      objectKey: row.object_key,
      document: row.document as unknown as ArchiveDocument,
      attempts: Number(row.attempts),
    }));
  }

  /**
   * Notes a record as uploaded. Marks are written in batches (one UPDATE per ~250 ms or 500 records)
   * because one commit per POST just for this mark doubled the WAL flushes the bench measured (and,
   * every 20 ms, light traffic still paid one UPDATE round trip per POST).
   * A mark lost to a crash only means one more upload of the same key after the lease.
   */
  markArchived(id: number): void {
    this.archivedIds.push(id);
    if (this.archivedIds.length >= ARCHIVED_BATCH) void this.flushArchived();
    // Never more than a tenth of the lease: the mark must land long before another process may claim the record.
    else this.flushTimer ??= setTimeout(() => void this.flushArchived(), Math.min(ARCHIVED_FLUSH_MS, this.config.archive.leaseMs / 10));
  }

  /** Writes the pending marks now; resolves when every mark noted so far has been written (or failed). */
  async flushArchived(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = this.archivedIds.splice(0);
    const write =
      ids.length === 0
        ? Promise.resolve()
        : this.sql
            .query('UPDATE archive_record SET archived_at = now(), last_error = NULL WHERE id = ANY (?::bigint[])', [`{${ids.join(',')}}`])
            .then(
              () => undefined,
              (error: unknown) => this.onMarkFailure(ids.length, error),
            );
    this.flushing = this.flushing.then(() => write);
    await this.flushing;
  }

  async markFailed(id: number, retryInMs: number, error: string): Promise<void> {
    await this.db
      .updateTable('archive_record')
      .set({ next_attempt_at: msFromNow(retryInMs), last_error: error.slice(0, 1000) })
      .where('id', '=', id)
      .where('archived_at', 'is', null)
      .execute();
  }

  /** Gives a record back to the sweepers now, e.g. when this process has no room to upload it. */
  async release(id: number): Promise<void> {
    await this.db
      .updateTable('archive_record')
      .set({ next_attempt_at: sql`now()` })
      .where('id', '=', id)
      .where('archived_at', 'is', null)
      .execute();
  }

  async backlog(): Promise<Backlog> {
    const row: { pending: string; oldest: string | null } = await this.db
      .selectFrom('archive_record')
      .select([sql<string>`count(*)`.as('pending'), sql<string | null>`extract(epoch FROM now() - min(created_at))`.as('oldest')])
      .where('archived_at', 'is', null)
      .executeTakeFirstOrThrow();
    return { pending: Number(row.pending), oldestPendingAgeSeconds: row.oldest === null ? 0 : Math.max(0, Number(row.oldest)) };
  }

  /** Deletes archived records past retention, a batch at a time; returns how many went. */
  async prune(retentionHours: number, batch = 5000): Promise<number> {
    const rows = await this.db
      .deleteFrom('archive_record')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('archive_record')
          .select('id')
          .where('archived_at', 'is not', null)
          .where('archived_at', '<', sql<Date>`now() - ${retentionHours}::int * interval '1 hour'`)
          .limit(batch),
      )
      .returning('id')
      .execute();
    return rows.length;
  }

  private onMarkFailure(count: number, error: unknown): void {
    if (isDatabaseUnavailable(error)) return this.outage.failed(error);
    this.logger.warn({
      message: 'could not mark uploaded archive records; they will be uploaded again after their lease',
      count,
      error: errorText(error),
    });
  }
}
