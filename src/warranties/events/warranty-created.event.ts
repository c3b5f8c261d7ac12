import type { ArchiveRecordRef } from '../../archive/archive-record.js';

export const WARRANTY_CREATED = 'warranty.created';

/**
 * Emitted after the transaction of every accepted POST commits (201 and 200 alike), carrying the
 * outbox record written in that transaction, so the archive can upload it without reading it back.
 */
export class WarrantyCreatedEvent {
  constructor(readonly record: ArchiveRecordRef) {}
}
