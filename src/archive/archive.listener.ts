import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { WARRANTY_CREATED, WarrantyCreatedEvent } from '../warranties/events/warranty-created.event.js';
import { ArchiveUploader } from './archive-uploader.js';

/** Uploads a POST's archive record right after its transaction commits, off the request path. */
@Injectable()
export class ArchiveListener {
  constructor(private readonly uploader: ArchiveUploader) {}

  @OnEvent(WARRANTY_CREATED, { async: true, promisify: true, suppressErrors: true })
  async onWarrantyCreated(event: WarrantyCreatedEvent): Promise<void> {
    await this.uploader.offer(event.record);
  }
}
