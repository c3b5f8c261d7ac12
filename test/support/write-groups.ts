/**
 * Single POSTs saved as one group commit on real PostgreSQL, for the e2e tests: a test transaction holds
 * an item's row so that a POST of it stays in flight, the POSTs under test queue behind it (the service's
 * warranty_writes_waiting gauge says when they all wait), and releasing the hold lets them be saved as
 * one group. Needs a service with one group in flight (ONE_GROUP_IN_FLIGHT).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { post, send, type Reply } from '../../harness/http-client.js';
import { sample } from '../../harness/metrics-sample.js';
import { eventually, lockWaiters, sqlClient } from './test-env.js';

// A queued POST may wait DB_ACQUIRE_TIMEOUT_MS for its slot: long enough here for a test to queue them one by one on a busy machine.
export const ONE_GROUP_IN_FLIGHT = { DB_WRITE_GROUPS: '1', DB_ACQUIRE_TIMEOUT_MS: '10000' };

export const item = (store: string, sku: string, overrides: Record<string, unknown> = {}) => ({
  store_uuid: store,
  item_type: 'furniture',
  item_sku: sku,
  item_cost: 150,
  item_title: `Sofa ${sku}`,
  ...overrides,
});

/** A transaction outside the service that holds a new item's row: a POST of that item waits until it is released. */
export async function holdItem(databaseUrl: string, store: string, sku: string): Promise<{ release: () => Promise<void> }> {
  const client = await sqlClient(databaseUrl);
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO item (store_id, sku, type, title, cost) SELECT id, $2, 'furniture', 'held', 1 FROM store WHERE uuid = $1`,
    [store, sku],
  );
  return {
    release: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** The service's /metrics text. */
export const metrics = async (url: string) => (await send(url, '/metrics')).text;

/**
 * Sends `bodies` so that they are saved as one group: a held POST is put in flight first, then each
 * body is sent once the previous one is waiting (so they queue in this order), then the hold is
 * released. Returns the replies in order, the held POST's reply and how many groups were started
 * meanwhile and with how many POSTs in all (from the service's metrics).
 */
export async function asOneGroup(
  url: string,
  databaseUrl: string,
  sql: pg.Client,
  bodies: readonly unknown[],
  whileQueued: (hold: { release: () => Promise<void> }) => Promise<void> = (hold) => hold.release(),
): Promise<{ replies: Reply[]; held: Reply; groups: number; posts: number }> {
  const store = `hold-${randomUUID().slice(0, 8)}`;
  assert.equal((await post(url, item(store, 'setup'))).status, 201);
  const hold = await holdItem(databaseUrl, store, 'held');
  const held = post(url, item(store, 'held'), {}, 30_000);
  assert.ok(await eventually(async () => (await lockWaiters(sql)) >= 1, 10_000, 10), 'the held POST waits for the test transaction');
  const before = await metrics(url);
  const replies: Promise<Reply>[] = [];
  for (const body of bodies) {
    replies.push(post(url, body, {}, 30_000));
    const waiting = replies.length;
    assert.ok(
      await eventually(async () => sample(await metrics(url), 'warranty_writes_waiting') === waiting, 10_000, 10),
      `POST ${waiting} queued behind the write in flight`,
    );
  }
  await whileQueued(hold);
  const settled = await Promise.all(replies);
  const heldReply = await held;
  // NaN when the service has gone meanwhile (the SIGTERM test).
  const afterwards = await metrics(url).catch(() => undefined);
  const delta = (name: string) => (afterwards === undefined ? NaN : sample(afterwards, name) - sample(before, name));
  return {
    replies: settled,
    held: heldReply,
    groups: delta('warranty_write_group_size_count'),
    posts: delta('warranty_write_group_size_sum'),
  };
}

/** The archive records of a request, by its X-Request-Id. */
export async function archiveRecordsOf(sql: pg.Client, requestId: string): Promise<any[]> {
  const { rows } = await sql.query(`SELECT document FROM archive_record WHERE document->>'request_id' = $1`, [requestId]);
  return rows.map((row) => row.document);
}
