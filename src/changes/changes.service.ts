import { Injectable } from '@nestjs/common';
import type { Caller } from '../access/api-key.js';
import { assertMayActFor } from '../access/store-access.js';
import { FEED_START, type ChangePosition } from './change-cursor.js';
import { ChangeFeedRepository } from './change-feed.repository.js';
import type { ChangePage } from './item-change.js';

/** The change feed: what changed after a position, seen by a caller — a store key its own store, an admin key any. */
@Injectable()
export class ChangesService {
  constructor(private readonly feed: ChangeFeedRepository) {}

  /**
   * Up to `limit` changes after `after` (from the beginning when absent), and the position to continue
   * from: the last change's, or `after` itself when there is none yet (an empty page keeps its place).
   */
  async page(caller: Caller, query: { after?: ChangePosition; limit: number; storeUuid?: string }): Promise<ChangePage> {
    let storeUuid = query.storeUuid;
    if (caller.kind === 'store') {
      if (storeUuid !== undefined) assertMayActFor(caller, storeUuid);
      storeUuid = caller.storeUuid;
    }
    const after = query.after ?? FEED_START;
    const changes = await this.feed.after(after, query.limit, storeUuid);
    return { changes, next: changes.at(-1)?.position ?? after };
  }
}
