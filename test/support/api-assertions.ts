/**
 * Shared assertions for the API tests: raw HTTP calls, the SPEC's error shape, "nothing leaks"
 * and "nothing was written" (a fingerprint of every table, so updates are caught, not only inserts).
 */
import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';
import type pg from 'pg';
import type { Reply } from '../../harness/http-client.js';

/** No stack trace, SQL or internal path in anything a client receives. */
export function assertNoLeak(text: string): void {
  assert.doesNotMatch(text, /\n\s+at\s/, 'stack trace in the response');
  assert.doesNotMatch(text, /\(\S+:\d+:\d+\)/, 'stack frame in the response');
  assert.ok(!/\bSELECT\b|\bINSERT INTO\b|\bUPDATE\b.+\bSET\b|\bWHERE\b/.test(text), `SQL in the response: ${text}`);
  assert.ok(!text.includes('node_modules'), `node_modules path in the response: ${text}`);
  assert.ok(!text.includes('/work/'), `internal path in the response: ${text}`);
  assert.ok(!text.includes('/tmp/'), `internal path in the response: ${text}`);
}

const ERROR_KEYS = new Set(['statusCode', 'error', 'code', 'message', 'details']);

/**
 * The SPEC's error: JSON `{ statusCode, error, code, message, details }` (details always an array), status and reason phrase
 * matching the HTTP status, with X-Request-Id and nothing internal. With `fields`, `details` must
 * name exactly those fields (in any order).
 */
export function assertError(reply: Reply, status: number, code: string | readonly string[], fields?: readonly string[]): void {
  const context = `HTTP ${reply.status} ${reply.text.slice(0, 500)}`;
  assert.equal(reply.status, status, context);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/, context);
  assert.ok(reply.body && typeof reply.body === 'object' && !Array.isArray(reply.body), context);
  for (const key of Object.keys(reply.body)) assert.ok(ERROR_KEYS.has(key), `unexpected key ${key} in ${context}`);
  assert.equal(reply.body.statusCode, status, context);
  assert.equal(reply.body.error, STATUS_CODES[status], context);
  if (typeof code === 'string') assert.equal(reply.body.code, code, context);
  else assert.ok(code.includes(reply.body.code), `code ${reply.body.code} not in ${code.join(', ')}: ${context}`);
  assert.equal(typeof reply.body.message, 'string', context);
  assert.ok(reply.body.message.length > 0, context);
  assert.ok(Array.isArray(reply.body.details), `details must always be an array: ${context}`);
  for (const detail of reply.body.details) {
    assert.deepEqual(Object.keys(detail).sort(), ['field', 'message'], context);
    assert.equal(typeof detail.field, 'string', context);
    assert.equal(typeof detail.message, 'string', context);
    assert.ok(detail.message.length > 0, context);
  }
  if (fields !== undefined) {
    assert.ok(Array.isArray(reply.body.details), `no details: ${context}`);
    assert.deepEqual(detailFields(reply), [...new Set(fields)].sort(), context);
  }
  assert.ok(reply.headers.get('x-request-id'), `no X-Request-Id: ${context}`);
  assertNoLeak(reply.text);
}

/** The distinct fields `details` names, sorted. */
export function detailFields(reply: Reply): string[] {
  return [...new Set((reply.body?.details ?? []).map((d: { field: string }) => d.field) as string[])].sort();
}

/**
 * What a snapshot compares per table: whole rows, except for the archive outbox, whose upload
 * bookkeeping (attempts, archived_at, …) moves on its own after earlier successful POSTs.
 */
const SNAPSHOT_COLUMNS = {
  store: 't.*',
  item: 't.*',
  warranty: 't.*',
  archive_record: 't.id, t.event_id, t.object_key, t.document',
  pricing_version: 't.*',
  pricing_item_type: 't.*',
  pricing_plan: 't.*',
} as const;

export const TABLES = Object.keys(SNAPSHOT_COLUMNS) as (keyof typeof SNAPSHOT_COLUMNS)[];

/** Row count and a digest of every row of each table: equal snapshots mean nothing was inserted, updated or deleted. */
export async function snapshot(sql: pg.Client): Promise<Record<string, { rows: number; digest: string | null }>> {
  const result: Record<string, { rows: number; digest: string | null }> = {};
  for (const table of TABLES) {
    const { rows } = await sql.query(
      `SELECT count(*)::int AS rows, md5(string_agg(row_text, '|' ORDER BY id)) AS digest
       FROM (SELECT t.id, ROW(${SNAPSHOT_COLUMNS[table]})::text AS row_text FROM ${table} t) AS r`,
    );
    result[table] = rows[0];
  }
  return result;
}

/** Runs `act` and asserts that no table changed. Returns what `act` returned. */
export async function assertNothingWritten<T>(sql: pg.Client, act: () => Promise<T>): Promise<T> {
  const before = await snapshot(sql);
  const result = await act();
  const after = await snapshot(sql);
  assert.deepEqual(after, before, 'a rejected request changed the database');
  return result;
}

/** The wire shape of one Warranty (SPEC): exactly these keys, snake_case, money as numbers with ≤ 2 decimals. */
export const WARRANTY_KEYS = [
  'created_at',
  'id',
  'item_cost',
  'item_sku',
  'item_title',
  'item_type',
  'pricing_version',
  'store_id',
  'store_uuid',
  'updated_at',
  'warranty_duration_months',
  'warranty_price',
];

export function assertWarrantyShape(warranty: any): void {
  const context = JSON.stringify(warranty);
  assert.deepEqual(Object.keys(warranty).sort(), WARRANTY_KEYS, context);
  for (const key of ['id', 'store_id', 'warranty_duration_months']) {
    assert.ok(Number.isSafeInteger(warranty[key]) && warranty[key] > 0, `${key}: ${context}`);
  }
  for (const key of ['store_uuid', 'item_sku', 'item_type', 'item_title', 'pricing_version']) {
    assert.equal(typeof warranty[key], 'string', `${key}: ${context}`);
  }
  for (const key of ['item_cost', 'warranty_price']) {
    assert.equal(typeof warranty[key], 'number', `${key} must be a JSON number: ${context}`);
    assert.match(String(warranty[key]), /^\d+(\.\d{1,2})?$/, `${key} must have at most 2 decimals: ${context}`);
  }
  for (const key of ['created_at', 'updated_at']) {
    assert.match(warranty[key], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${key}: ${context}`);
  }
}
