/** Helpers shared by the archive end-to-end tests. */
import { prefixFrom } from '../../src/access/api-key.js';
import { defaultKey, post } from '../../harness/http-client.js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { TestBucket } from './test-env.js';

export const KEY_PATTERN = /^warranties\/(\d{4})\/(\d{2})\/(\d{2})\/([A-Za-z0-9_-]{1,64})\/([0-9a-f-]{36})\.json$/;

/** `warranties/YYYY/MM/DD/` of a moment, in UTC. */
export function utcDayPrefix(at: Date): string {
  return `warranties/${at.toISOString().slice(0, 10).replaceAll('-', '/')}/`;
}

const TYPES = [
  { item_type: 'furniture', item_cost: 150 },
  { item_type: 'electronics', item_cost: 999.99 },
  { item_type: 'appliances', item_cost: 420.5 },
  { item_type: 'phones', item_cost: 799 },
  { item_type: 'jewelry', item_cost: 2500.25 },
] as const;

/** An eligible payload for store `<tag>-<i>` with its own SKU (a new item: 201). */
export function payload(tag: string, i: number): Record<string, unknown> {
  const type = TYPES[i % TYPES.length];
  return {
    store_uuid: `${tag}-${i}`,
    item_type: type.item_type,
    item_sku: `sku-${tag}-${i}-${randomUUID().slice(0, 8)}`,
    item_cost: type.item_cost,
    item_title: `Item ${i} of ${tag}`,
  };
}

export interface Sent {
  requestId: string;
  payload: Record<string, unknown>;
  status: number;
  body: any;
  /** Wall-clock bounds of the request, to check received_at. */
  startedAt: number;
  endedAt: number;
  /** Set when the request failed at the transport level (e.g. the server was killed). */
  error?: string;
  /** The public prefix of the API key it was sent with (the app's default key). */
  keyPrefix: string;
}

/** POSTs a payload with its own X-Request-Id and times it; never throws (transport errors are reported in `error`). */
export async function sendTracked(
  baseUrl: string,
  body: Record<string, unknown>,
  requestId = `rq-${randomUUID()}`,
  timeoutMs = 15_000,
): Promise<Sent> {
  const startedAt = Date.now();
  const keyPrefix = prefixFrom(defaultKey(baseUrl))!;
  try {
    const reply = await post(baseUrl, body, { 'x-request-id': requestId }, timeoutMs);
    return { requestId, payload: body, status: reply.status, body: reply.body, startedAt, endedAt: Date.now(), keyPrefix };
  } catch (error) {
    return { requestId, payload: body, status: 0, body: undefined, startedAt, endedAt: Date.now(), error: String(error), keyPrefix };
  }
}

/** Runs `work` over `items` with at most `concurrency` at a time; results in input order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index], index);
      }
    }),
  );
  return results;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** GET /health/ready → the archive indicator (status, target, backlog, oldest_pending_age_seconds, stuck). */
export async function readiness(baseUrl: string): Promise<{ httpStatus: number; archive: any; body: any }> {
  const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as any;
  return { httpStatus: response.status, archive: body.info?.archive ?? body.details?.archive, body };
}

export interface OutboxRow {
  id: number;
  event_id: string;
  object_key: string;
  request_id: string;
  attempts: number;
  archived: boolean;
  document: any;
}

export async function outboxRows(sql: pg.Client): Promise<OutboxRow[]> {
  const { rows } = await sql.query(
    `SELECT id, event_id, object_key, document->>'request_id' AS request_id, attempts, archived_at IS NOT NULL AS archived, document
     FROM archive_record ORDER BY id`,
  );
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}

export async function pendingCount(sql: pg.Client): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM archive_record WHERE archived_at IS NULL');
  return rows[0].n;
}

/**
 * The archived document of an accepted POST matches what the client sent and received: key layout with the
 * UTC day of its arrival and its store, event id = key's file name, request = raw payload, response = the
 * HTTP status and body, request_id = the client's X-Request-Id, key_prefix = the public prefix of its API key.
 */
export function assertArchivedDocument(key: string, document: any, sent: Sent): void {
  const context = `${key} for ${sent.requestId}`;
  const match = KEY_PATTERN.exec(key);
  assert.ok(match, `key layout: ${context}`);
  assert.deepEqual(Object.keys(document).sort(), ['event_id', 'key_prefix', 'received_at', 'request', 'request_id', 'response'], context);
  assert.equal(document.key_prefix, sent.keyPrefix, `key_prefix names the key that sent it: ${context}`);
  assert.equal(match[5], document.event_id, `event_id is the key's file name: ${context}`);
  assert.equal(match[4], String(sent.payload.store_uuid).trim(), `store segment: ${context}`);
  assert.equal(document.request_id, sent.requestId, context);
  const receivedAt = Date.parse(document.received_at);
  assert.ok(
    receivedAt >= sent.startedAt - 5 && receivedAt <= sent.endedAt + 5,
    `received_at ${document.received_at} within the request: ${context}`,
  );
  assert.ok(key.startsWith(utcDayPrefix(new Date(receivedAt))), `key dated by the UTC day of received_at: ${context}`);
  assert.deepEqual(document.request, sent.payload, `request is the raw payload: ${context}`);
  assert.deepEqual(document.response, { status: sent.status, body: sent.body }, `response is what the client got: ${context}`);
}

/** Every key in the bucket, mapped to its document. */
export async function bucketDocuments(bucket: TestBucket, prefix = 'warranties/'): Promise<Map<string, any>> {
  const keys = await bucket.keys(prefix);
  const documents = await pool(keys, 16, (key) => bucket.read(key));
  return new Map(keys.map((key, i) => [key, documents[i]]));
}
