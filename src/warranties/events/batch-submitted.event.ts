import type { TraceOrigin } from '../../tracing/tracing-types.js';

export const BATCH_SUBMITTED = 'warranties.batch-submitted';

/**
 * A store submitted a batch of items (POST /api/warranties/batch) and the valid, eligible ones were
 * saved. Published inside the batch's transaction, like ItemsSubmittedEvent, with what the store sent
 * and the whole answer it receives (one result per item), so the archive keeps one record per request.
 */
export class BatchSubmittedEvent {
  constructor(
    readonly requestId: string,
    readonly receivedAt: Date,
    /** The body exactly as the store sent it. */
    readonly payload: unknown,
    readonly storeUuid: string,
    /** The HTTP answer the store receives. */
    readonly response: { status: number; body: unknown },
    /** The public prefix of the API key that made the request (never the key itself). */
    readonly keyPrefix: string,
    /** With tracing on, the request's span (what is done for it later links to it). */
    readonly traceOrigin?: TraceOrigin,
  ) {}
}
