import type { TraceOrigin } from '../../tracing/tracing-types.js';
import type { SubmissionResult, SubmittedItem } from '../warranty.js';

export const ITEMS_SUBMITTED = 'warranties.items-submitted';

/** One POST of one item and what it was answered (201 and 200 alike). */
export interface ItemSubmission {
  readonly requestId: string;
  readonly receivedAt: Date;
  /** The body exactly as the store sent it (before trimming). */
  readonly payload: unknown;
  readonly item: SubmittedItem;
  readonly result: SubmissionResult;
  /** The HTTP answer the store receives. */
  readonly response: { status: number; body: unknown };
  /** The public prefix of the API key that made the request (never the key itself). */
  readonly keyPrefix: string;
  /** With tracing on, the request's span (what is done for it later links to it). */
  readonly traceOrigin?: TraceOrigin;
}

/**
 * Single-item POSTs were saved: every submission of one group commit (one, when the service is not
 * busy), in request order. Published inside that group's transaction: a listener that writes to the
 * database joins it (one statement for the whole group is cheaper than one per submission), and a
 * listener that fails rolls the group back. Carries what each store sent and what it was answered,
 * so listeners need not read anything back.
 */
export class ItemsSubmittedEvent {
  constructor(readonly submissions: readonly ItemSubmission[]) {}
}
