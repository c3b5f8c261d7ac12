import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Sql } from '../database/sql.js';
import { BATCH_SUBMITTED, BatchSubmittedEvent } from '../warranties/events/batch-submitted.event.js';
import { ITEMS_SUBMITTED, ItemsSubmittedEvent } from '../warranties/events/items-submitted.event.js';
import { ArchiveRecordRepository } from './archive-record.repository.js';
import type { ArchiveRecordRef } from './archive-record.js';
import { ArchiveUploader } from './archive-uploader.js';

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
    const records = await this.records.addMany(
      event.submissions.map((submission) => ({
        requestId: submission.requestId,
        receivedAt: submission.receivedAt,
        storeUuid: submission.item.store_uuid,
        keyPrefix: submission.keyPrefix,
        request: submission.payload,
        response: submission.response,
      })),
    );
    this.uploadAfterCommit(records);
  }

  @OnEvent(BATCH_SUBMITTED, { suppressErrors: false })
  async onBatchSubmitted(event: BatchSubmittedEvent): Promise<void> {
    const record = await this.records.add({
      requestId: event.requestId,
      receivedAt: event.receivedAt,
      storeUuid: event.storeUuid,
      keyPrefix: event.keyPrefix,
      request: event.payload,
      response: event.response,
    });
    this.uploadAfterCommit([record]);
  }

  private uploadAfterCommit(records: readonly ArchiveRecordRef[]): void {
    // On the next turn of the event loop, after the answers are on their way (the shutdown drain waits
    // one such turn for these, see ArchiveUploader.drain).
    this.sql.afterCommit(() => setImmediate(() => records.forEach((record) => void this.uploader.offer(record))));
  }
}
