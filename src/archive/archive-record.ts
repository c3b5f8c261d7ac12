import type { TraceOrigin } from '../tracing/tracing-types.js';

/** What lands in the archive for one accepted POST (docs/contract/operations.md, Archive). */
export interface ArchiveDocument {
  event_id: string;
  request_id: string;
  received_at: string;
  /** The public prefix of the API key that made the request (`wsk_store_1a2b3c4d5e6f`); never the key. */
  key_prefix: string;
  request: unknown;
  response: { status: number; body: unknown };
}

/** An outbox row as the archive handles it. */
export interface ArchiveRecordRef {
  id: number;
  objectKey: string;
  document: ArchiveDocument;
  /** The document as written into the outbox, uploaded as it is; a record read back from the table has none. */
  body?: string;
  /** Upload attempts so far, this one included. */
  attempts: number;
  /** With tracing on, the request that wrote it (in this process): its upload's trace links to it. */
  traceOrigin?: TraceOrigin;
}
