import { defineEntity, p } from '@mikro-orm/core';

/**
 * The outbox: one row per successful POST, written in the warranties' transaction, so the
 * archive copy can never be lost between the database commit and the upload to S3.
 */
export const ArchiveRecordSchema = defineEntity({
  name: 'ArchiveRecord',
  tableName: 'archive_record',
  indexes: [
    // The sweeper's claim: pending records by due time. Partial, so it stays as small as the backlog.
    { name: 'archive_record_pending_index', properties: ['nextAttemptAt'], where: 'archived_at IS NULL' },
    // Retention pruning of archived records.
    { name: 'archive_record_archived_index', properties: ['archivedAt'], where: 'archived_at IS NOT NULL' },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    eventId: p.uuid().unique('archive_record_event_id_unique'),
    objectKey: p.text(),
    document: p.json<Record<string, unknown>>(),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    lastError: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    archivedAt: p.datetime().nullable(),
  },
});
