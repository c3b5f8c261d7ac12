/**
 * The archive, end to end in one process (real HTTP, real PostgreSQL, s3rver behind a fault proxy):
 * every accepted POST lands in S3 exactly once under its key with the request and the response; refused
 * requests leave nothing; a slow S3 does not slow POSTs down; a dead S3 builds a backlog (reported by
 * /health/ready) that drains once S3 is back; without S3 the same documents go to a local folder.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { globalAgent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type pg from 'pg';
import {
  assertArchivedDocument,
  bucketDocuments,
  KEY_PATTERN,
  median,
  outboxRows,
  payload,
  pendingCount,
  pool,
  readiness,
  sendTracked,
  utcDayPrefix,
  type Sent,
} from '../support/archive-support.js';
import { post } from '../../harness/http-client.js';
import { S3FaultProxy } from '../support/s3-fault-proxy.js';
import {
  createBucket,
  createDatabase,
  eventually,
  serviceEnv,
  sleep,
  sqlClient,
  startApp,
  type TestApp,
  type TestBucket,
} from '../support/test-env.js';

/** Keys of the bucket whose store segment starts with `tag-`. */
async function keysOf(bucket: TestBucket, tag: string): Promise<string[]> {
  return (await bucket.keys('warranties/')).filter((key) => KEY_PATTERN.exec(key)?.[4].startsWith(`${tag}-`));
}

describe('archive to S3 (in-process app, s3rver behind a fault proxy)', () => {
  let databaseUrl: string;
  let bucket: TestBucket;
  let proxy: S3FaultProxy;
  let app: TestApp;
  let sql: pg.Client;

  before(async () => {
    databaseUrl = await createDatabase();
    bucket = await createBucket();
    proxy = new S3FaultProxy(bucket.endpoint);
    const proxyUrl = await proxy.start();
    app = await startApp(serviceEnv(databaseUrl, { name: bucket.name, endpoint: proxyUrl }, { S3_TIMEOUT_MS: '5000' }));
    sql = await sqlClient(databaseUrl);
  });

  after(async () => {
    if (proxy) proxy.mode = { kind: 'up' };
    await app?.close();
    await proxy?.stop();
    await sql?.end();
    bucket?.client.destroy();
    // The fault proxy forwards through Node's global keep-alive agent: close its idle sockets to s3rver too.
    globalAgent.destroy();
  });

  it('40 accepted POSTs → exactly 40 objects: key layout, event id, raw request, response, client request id', async () => {
    const dayBefore = utcDayPrefix(new Date());
    const payloads = Array.from({ length: 40 }, (_, i) => payload('acc', i));
    // Untrimmed / upper-case input is accepted; the archive keeps the raw payload, the key the trimmed store.
    payloads[3] = { ...payloads[3], store_uuid: '  acc-3  ', item_type: ' FURNITURE ', item_cost: 150, item_title: '  Spaced  ' };
    const sent = await pool(payloads, 8, (body) => sendTracked(app.url, body));
    for (const reply of sent) assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const dayAfter = utcDayPrefix(new Date());

    assert.ok(await eventually(async () => (await keysOf(bucket, 'acc')).length >= 40, 30_000), 'all 40 objects uploaded');
    await sleep(600); // a few sweeps later: still no extra object
    const keys = await keysOf(bucket, 'acc');
    assert.equal(keys.length, 40, `exactly one object per POST, got ${keys.length}`);
    for (const key of keys) {
      assert.match(key, KEY_PATTERN);
      assert.ok(key.startsWith(dayBefore) || key.startsWith(dayAfter), `dated today (UTC): ${key}`);
    }

    const documents = await bucketDocuments(bucket);
    const byRequestId = new Map([...documents].map(([key, doc]) => [doc.request_id, { key, doc }]));
    for (const reply of sent) {
      const found = byRequestId.get(reply.requestId);
      assert.ok(found, `object for request ${reply.requestId}`);
      assertArchivedDocument(found.key, found.doc, reply);
    }
    assert.equal(KEY_PATTERN.exec(byRequestId.get(sent[3].requestId)!.key)![4], 'acc-3');

    // The outbox agrees: one archived row per POST, same event id and key.
    const rows = (await outboxRows(sql)).filter((row) => sent.some((reply) => reply.requestId === row.request_id));
    assert.equal(rows.length, 40);
    for (const row of rows) {
      assert.equal(row.archived, true, `archived_at set for ${row.object_key}`);
      const found = byRequestId.get(row.request_id)!;
      assert.equal(row.object_key, found.key);
      assert.equal(row.event_id, found.doc.event_id);
      assert.deepEqual(row.document, found.doc, 'the uploaded body is the outbox document');
    }

    const head = await bucket.client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: keys[0] }));
    assert.match(head.ContentType ?? '', /^application\/json/);
  });

  it('a re-send (200) is archived too, with status 200 and its own event id', async () => {
    const body = payload('resend', 0);
    const first = await sendTracked(app.url, body);
    const second = await sendTracked(app.url, body);
    assert.deepEqual([first.status, second.status], [201, 200]);
    assert.ok(await eventually(async () => (await keysOf(bucket, 'resend')).length >= 2, 20_000));
    const documents = await bucketDocuments(bucket);
    const mine = [...documents].filter(([, doc]) => doc.request_id === first.requestId || doc.request_id === second.requestId);
    assert.equal(mine.length, 2);
    for (const [key, doc] of mine) assertArchivedDocument(key, doc, doc.request_id === first.requestId ? first : second);
    assert.notEqual(mine[0][1].event_id, mine[1][1].event_id);
  });

  it('400 and 422 requests produce no archive record and no object', async () => {
    const refused: Sent[] = [];
    refused.push(await sendTracked(app.url, { ...payload('bad', 0), item_cost: 10 })); // furniture below its range → 422
    refused.push(await sendTracked(app.url, { ...payload('bad', 1), item_type: 'spaceships' })); // no such type → 422
    refused.push(await sendTracked(app.url, { ...payload('bad', 2), item_cost: '150' })); // string cost → 400
    refused.push(await sendTracked(app.url, { ...payload('bad', 3), extra: true })); // extra field → 400
    const missing = payload('bad', 4);
    delete missing.item_title;
    refused.push(await sendTracked(app.url, missing)); // missing field → 400
    assert.deepEqual(
      refused.map((reply) => reply.status),
      [422, 422, 400, 400, 400],
    );
    const malformed = await post(app.url, '{"store_uuid": "bad-5", ', { 'x-request-id': 'bad-malformed' });
    assert.equal(malformed.status, 400);
    // An accepted POST after them, as a marker: once its object is there, the refused ones had their chance.
    const marker = await sendTracked(app.url, payload('badmarker', 0));
    assert.equal(marker.status, 201);
    assert.ok(await eventually(async () => (await keysOf(bucket, 'badmarker')).length === 1, 20_000));
    await sleep(500);
    assert.deepEqual(await keysOf(bucket, 'bad'), []);
    const ids = [...refused.map((reply) => reply.requestId), 'bad-malformed'];
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM archive_record WHERE document->>'request_id' = ANY ($1)`, [ids]);
    assert.equal(rows[0].n, 0);
  });

  it('a slow S3 (2 s per request) does not slow POSTs down; the objects still arrive', async (t) => {
    /** `count` sequential POSTs; their latencies in ms. */
    const latencies = async (tag: string, from: number, count: number) => {
      const ms: number[] = [];
      for (let i = from; i < from + count; i++) {
        const reply = await sendTracked(app.url, payload(tag, i));
        assert.equal(reply.status, 201);
        ms.push(reply.endedAt - reply.startedAt);
      }
      return ms;
    };
    proxy.mode = { kind: 'up' };
    await latencies('warm', 0, 10); // JIT and pool warm-up, not measured
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 20_000));
    // 20 sequential POSTs each way, in alternating blocks so that load from elsewhere on the machine hits both alike.
    const fast: number[] = [];
    const slow: number[] = [];
    const requestsBefore = proxy.requests;
    for (let block = 0; block < 4; block++) {
      proxy.mode = { kind: 'up' };
      fast.push(...(await latencies('fast', block * 5, 5)));
      proxy.mode = { kind: 'slow', delayMs: 2000 };
      slow.push(...(await latencies('slow', block * 5, 5)));
    }
    const [fastMedian, slowMedian] = [median(fast), median(slow)];
    t.diagnostic(
      `POST median latency: S3 fast ${fastMedian.toFixed(1)} ms, S3 slow (2 s) ${slowMedian.toFixed(1)} ms; ` +
        `max fast ${Math.max(...fast)} ms, max slow ${Math.max(...slow)} ms`,
    );
    assert.ok(await eventually(async () => proxy.requests >= requestsBefore + 40, 10_000), 'every POST started an upload');
    assert.ok(slowMedian < fastMedian + 100, `median POST latency with slow S3 ${slowMedian} ms vs fast ${fastMedian} ms`);
    assert.ok(slowMedian < 500, `median POST latency with slow S3 ${slowMedian} ms should be far below the 2 s S3 delay`);
    assert.ok(await eventually(async () => (await keysOf(bucket, 'slow')).length === 20, 30_000), 'slow uploads still complete');
    proxy.mode = { kind: 'up' };
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 30_000));
  });

  it('S3 down during a burst: all 50 POSTs succeed, the backlog is reported, then drains when S3 is back', async (t) => {
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 30_000), 'start from an empty backlog');
    proxy.mode = { kind: 'down' };
    const burstStarted = Date.now();
    const sent = await pool(
      Array.from({ length: 50 }, (_, i) => payload('down', i)),
      10,
      (body) => sendTracked(app.url, body),
    );
    assert.deepEqual(
      sent.filter((reply) => reply.status !== 201).map((reply) => `${reply.status} ${JSON.stringify(reply.body)}`),
      [],
      'every POST succeeds while S3 is down',
    );
    t.diagnostic(`burst of 50 POSTs with S3 down took ${Date.now() - burstStarted} ms`);
    const ids = sent.map((reply) => reply.requestId);
    const attemptsOf = async () =>
      (await sql.query(`SELECT attempts, archived_at FROM archive_record WHERE document->>'request_id' = ANY ($1)`, [ids])).rows as {
        attempts: number;
        archived_at: Date | null;
      }[];
    // Retried (with backoff) while S3 stays down: each record gets at least a second attempt.
    assert.ok(
      await eventually(async () => (await attemptsOf()).every((row) => row.attempts >= 2), 20_000),
      'failed uploads are retried by the sweeper',
    );
    t.diagnostic(`every record had a second attempt ${Date.now() - burstStarted} ms after the burst started`);
    const during = await readiness(app.url);
    assert.equal(during.httpStatus, 200, 'an S3 outage does not make the instance unready');
    assert.equal(during.archive.status, 'up');
    assert.ok(during.archive.backlog >= 50, `backlog reported: ${JSON.stringify(during.archive)}`);
    assert.ok(during.archive.oldest_pending_age_seconds >= 0);
    assert.equal(during.archive.stuck, false);
    assert.deepEqual(await keysOf(bucket, 'down'), [], 'nothing reached S3 while it was down');
    const rowsDown = await attemptsOf();
    assert.equal(rowsDown.length, 50);
    assert.ok(rowsDown.every((row) => row.archived_at === null));
    const { rows: errors } = await sql.query(
      `SELECT count(*)::int AS n FROM archive_record WHERE document->>'request_id' = ANY ($1) AND last_error IS NOT NULL`,
      [ids],
    );
    assert.equal(errors[0].n, 50, 'the failure is recorded on each record');

    proxy.mode = { kind: 'up' };
    const upAt = Date.now();
    assert.ok(
      await eventually(async () => (await readiness(app.url)).archive.backlog === 0, 30_000, 50),
      'the backlog drains once S3 is back',
    );
    const drainMs = Date.now() - upAt;
    t.diagnostic(`backlog of 50 drained ${drainMs} ms after S3 came back`);

    const keys = await keysOf(bucket, 'down');
    assert.equal(keys.length, 50);
    const documents = await bucketDocuments(bucket);
    const byRequestId = new Map([...documents].map(([key, doc]) => [doc.request_id, { key, doc }]));
    for (const reply of sent) {
      const found = byRequestId.get(reply.requestId);
      assert.ok(found, `object for ${reply.requestId}`);
      assertArchivedDocument(found.key, found.doc, reply);
    }
    const rowsUp = await attemptsOf();
    assert.ok(rowsUp.every((row) => row.archived_at !== null && row.attempts > 1));
    const { rows: cleared } = await sql.query(
      `SELECT count(*)::int AS n FROM archive_record WHERE document->>'request_id' = ANY ($1) AND last_error IS NOT NULL`,
      [ids],
    );
    assert.equal(cleared[0].n, 0, 'last_error cleared once archived');
  });

  it('every outbox row of this run is archived and has exactly its one object', async () => {
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 30_000));
    const rows = await outboxRows(sql);
    const keys = new Set(await bucket.keys('warranties/'));
    assert.equal(keys.size, rows.length, 'one object per archive record');
    for (const row of rows) assert.ok(keys.has(row.object_key), `object for ${row.object_key}`);
  });
});

describe('archive to a local folder (no S3 configured)', () => {
  let app: TestApp;
  let sql: pg.Client;
  let archiveDir: string;

  before(async () => {
    const databaseUrl = await createDatabase();
    archiveDir = mkdtempSync(join(tmpdir(), 'warranty-archive-'));
    app = await startApp(serviceEnv(databaseUrl, undefined, { ARCHIVE_DIR: archiveDir }));
    sql = await sqlClient(databaseUrl);
  });

  after(async () => {
    await app?.close();
    await sql?.end();
    if (archiveDir) rmSync(archiveDir, { recursive: true, force: true });
  });

  function files(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((entry) => join(dir, entry))
      .filter((path) => statSync(path).isFile())
      .map((path) => relative(dir, path).split('\\').join('/'));
  }

  it('writes each record as a file at the S3 key layout, with the same JSON', async () => {
    const sent = await pool(
      Array.from({ length: 12 }, (_, i) => payload('local', i)),
      4,
      (body) => sendTracked(app.url, body),
    );
    for (const reply of sent) assert.equal(reply.status, 201);
    assert.ok(await eventually(async () => files(archiveDir).length >= 12, 20_000), `files: ${files(archiveDir).join(', ')}`);
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 20_000));
    const written = files(archiveDir);
    assert.equal(written.length, 12, `exactly one file per POST, no partial files: ${written.join(', ')}`);
    const byRequestId = new Map(
      written.map((key) => {
        const doc = JSON.parse(readFileSync(join(archiveDir, key), 'utf8'));
        return [doc.request_id, { key, doc }];
      }),
    );
    for (const reply of sent) {
      const found = byRequestId.get(reply.requestId);
      assert.ok(found, `file for ${reply.requestId}`);
      assertArchivedDocument(found.key, found.doc, reply);
    }
    const rows = await outboxRows(sql);
    assert.equal(rows.length, 12);
    for (const row of rows) {
      assert.equal(row.archived, true);
      assert.ok(written.includes(row.object_key), `file at ${row.object_key}`);
      assert.deepEqual(JSON.parse(readFileSync(join(archiveDir, row.object_key), 'utf8')), row.document);
    }
    const ready = await readiness(app.url);
    assert.equal(ready.archive.backlog, 0);
    // Readiness is public: it names the kind of target, never the folder (issue 8, item 8).
    assert.equal(ready.archive.target, 'local');
    assert.ok(!JSON.stringify(ready).includes(archiveDir), JSON.stringify(ready));
  });

  it('recovers when the archive folder is removed underneath it (the failed write is retried)', async () => {
    const before = await sendTracked(app.url, payload('gone', 0));
    assert.equal(before.status, 201);
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 20_000));
    for (const entry of readdirSync(archiveDir)) rmSync(join(archiveDir, entry), { recursive: true, force: true });
    // Same store and day: the folder this process made before is gone.
    const after = await sendTracked(app.url, { ...payload('gone', 0), item_sku: `again-${randomUUID()}` });
    assert.equal(after.status, 201);
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 20_000), 'the record is archived after a retry');
    const written = files(archiveDir);
    assert.equal(written.length, 1, written.join(', '));
    assertArchivedDocument(written[0], JSON.parse(readFileSync(join(archiveDir, written[0]), 'utf8')), after);
  });

  it('defaults to <DATA_DIR>/archive when ARCHIVE_DIR is not set', async () => {
    const databaseUrl = await createDatabase();
    const env = serviceEnv(databaseUrl);
    const other = await startApp(env);
    try {
      const reply = await sendTracked(other.url, { ...payload('datadir', 0), item_sku: `d-${randomUUID()}` });
      assert.equal(reply.status, 201);
      const dir = join(env.DATA_DIR, 'archive');
      assert.ok(await eventually(async () => files(dir).length === 1, 20_000), `archive file under ${dir}`);
      const [key] = files(dir);
      assertArchivedDocument(key, JSON.parse(readFileSync(join(dir, key), 'utf8')), reply);
    } finally {
      await other.close();
      rmSync(env.DATA_DIR, { recursive: true, force: true });
    }
  });
});
