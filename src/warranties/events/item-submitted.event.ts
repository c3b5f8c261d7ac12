import type { SubmissionResult, SubmittedItem } from '../warranty.js';

export const ITEM_SUBMITTED = 'warranties.item-submitted';

/**
 * A store submitted an item and its plans were saved (201 and 200 alike). Published inside the
 * submission's transaction: a listener that writes to the database joins that transaction, and a
 * listener that fails rolls the whole submission back. Carries what the store sent and what it was
 * answered, so listeners need not read anything back.
 */
export class ItemSubmittedEvent {
  constructor(
    readonly requestId: string,
    readonly receivedAt: Date,
    /** The body exactly as the store sent it (before trimming). */
    readonly payload: unknown,
    readonly item: SubmittedItem,
    readonly result: SubmissionResult,
    /** The HTTP answer the store receives. */
    readonly response: { status: number; body: unknown },
    /** The public prefix of the API key that made the request (never the key itself). */
    readonly keyPrefix: string,
  ) {}
}
