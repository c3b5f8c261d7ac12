import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Sql } from '../database/sql.js';
import { BATCH_SUBMITTED, BatchSubmittedEvent } from '../warranties/events/batch-submitted.event.js';
import { ITEMS_SUBMITTED, ItemsSubmittedEvent, type ItemSubmission } from '../warranties/events/items-submitted.event.js';
import { ArchiveRecordRepository, type NewArchiveRecord } from './archive-record.repository.js';
import type { ArchiveRecordRef } from './archive-record.js';
import { ArchiveUploader } from './archive-uploader.js';

/** What the archive keeps of one request: a single item's POST or a batch. */
function recordOf(submission: ItemSubmission | BatchSubmittedEvent, storeUuid: string): NewArchiveRecord {
  return {
    requestId: submission.requestId,
    receivedAt: submission.receivedAt,
    storeUuid,
    keyPrefix: submission.keyPrefix,
    request: submission.payload,
    response: submission.response,
    traceOrigin: submission.traceOrigin,
  };
}

/**
 * Archives every submission (a single item or a batch: one record per request). The records are
 * written in the submissions' own transaction (the event is published inside it, and an error here
 * rolls the submissions back), so a committed submission always has its record; the upload starts
 * after commit, off the request path.
 */
@Injectable()
export class ArchiveListener {
  constructor(
    private readonly records: ArchiveRecordRepository,
    private readonly uploader: ArchiveUploader,
    private readonly sql: Sql,
  ) {}

  @OnEvent(ITEMS_SUBMITTED, { suppressErrors: false })
  async onItemsSubmitted(event: ItemsSubmittedEvent): Promise<void> {
    const records = await this.records.addMany(event.submissions.map((submission) => recordOf(submission, submission.item.store_uuid)));
    this.uploadAfterCommit(records);
  }

  @OnEvent(BATCH_SUBMITTED, { suppressErrors: false })
  async onBatchSubmitted(event: BatchSubmittedEvent): Promise<void> {
    this.uploadAfterCommit([await this.records.add(recordOf(event, event.storeUuid))]);
  }

  private uploadAfterCommit(records: readonly ArchiveRecordRef[]): void {
    // On the next turn of the event loop, after the answers are on their way (the shutdown drain waits
    // one such turn for these, see ArchiveUploader.drain).
    this.sql.afterCommit(() => setImmediate(() => records.forEach((record) => void this.uploader.offer(record))));
  }
}
