import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Sql } from '../database/sql.js';
import { BATCH_SUBMITTED, BatchSubmittedEvent } from '../warranties/events/batch-submitted.event.js';
import { ITEM_SUBMITTED, ItemSubmittedEvent } from '../warranties/events/item-submitted.event.js';
import { ArchiveRecordRepository } from './archive-record.repository.js';
import { ArchiveUploader } from './archive-uploader.js';

/**
 * Archives every submission (a single item or a batch: one record per request). The record is written in the submission's own transaction (the event is
 * published inside it, and an error here rolls the submission back), so a committed submission always
 * has its record; the upload starts after commit, off the request path.
 */
@Injectable()
export class ArchiveListener {
  constructor(
    private readonly records: ArchiveRecordRepository,
    private readonly uploader: ArchiveUploader,
    private readonly sql: Sql,
  ) {}

  @OnEvent(ITEM_SUBMITTED, { suppressErrors: false })
  async onItemSubmitted(event: ItemSubmittedEvent): Promise<void> {
    await this.record(event, event.item.store_uuid);
  }

  @OnEvent(BATCH_SUBMITTED, { suppressErrors: false })
  async onBatchSubmitted(event: BatchSubmittedEvent): Promise<void> {
    await this.record(event, event.storeUuid);
  }

  private async record(event: ItemSubmittedEvent | BatchSubmittedEvent, storeUuid: string): Promise<void> {
    const record = await this.records.add({
      requestId: event.requestId,
      receivedAt: event.receivedAt,
      storeUuid,
      keyPrefix: event.keyPrefix,
      request: event.payload,
      response: event.response,
    });
    // On the next turn of the event loop, after the answer is on its way (the shutdown drain waits one
    // such turn for these, see ArchiveUploader.drain).
    this.sql.afterCommit(() => setImmediate(() => void this.uploader.offer(record)));
  }
}
