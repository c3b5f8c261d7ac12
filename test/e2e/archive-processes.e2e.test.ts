/**
 * The archive across real service processes (the compiled dist/src/main.js, as in production):
 * a SIGKILL mid-burst loses nothing (a restarted process resumes the backlog), two instances on one
 * database share the work without uploading a key twice, SIGTERM drains uploads in flight (and respects
 * its deadline when S3 hangs), and cluster mode (WEB_CONCURRENCY=2) archives everything exactly once.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, globalAgent, request } from 'node:http';
import { after, describe, it } from 'node:test';
import type pg from 'pg';
import {
  assertArchivedDocument,
  bucketDocuments,
  outboxRows,
  payload,
  pendingCount,
  pool,
  readiness,
  sendTracked,
  type Sent,
} from '../support/archive-support.js';
import { CountingS3Proxy } from '../support/counting-proxy.js';
import { S3FaultProxy } from '../support/s3-fault-proxy.js';
import { bearer, defaultKey } from '../../harness/http-client.js';
import { logLines, pidAlive, startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import {
  createBucket,
  createDatabase,
  eventually,
  lockWaiters,
  serviceEnv,
  sleep,
  sqlClient,
  type TestBucket,
} from '../support/test-env.js';

const processes: ServiceProcess[] = [];
const stoppers: (() => Promise<unknown>)[] = [];

async function start(env: Record<string, string>): Promise<ServiceProcess> {
  const service = await startServiceProcess(env);
  processes.push(service);
  return service;
}

const alive = (service: ServiceProcess) => service.child.exitCode === null && service.child.signalCode === null;

/** Child process ids of `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** Worker processes seen in cluster tests: killed in `after` if one outlived its primary. */
const workerPids = new Set<number>();

/** Waits until both cluster workers have started their HTTP server (Nest's start-up line: needs LOG_LEVEL=debug); returns their pids. */
async function listeningWorkers(service: ServiceProcess): Promise<number[]> {
  const started = () =>
    new Set(
      logLines(service.output())
        .filter((line) => String(line.message).includes('successfully started'))
        .map((line) => Number(line.pid)),
    );
  assert.ok(await eventually(async () => started().size >= 2, 30_000), `two workers started:\n${service.output().slice(-3000)}`);
  const workers = childPids(service.child.pid!);
  assert.equal(workers.length, 2, `two worker processes, got ${workers.join(', ')}`);
  assert.deepEqual([...started()].sort(), [...workers].sort(), "the workers are the primary's children");
  for (const pid of workers) workerPids.add(pid);
  return workers;
}

/** A POST through a given http.Agent (to control connection reuse); transport errors give status 0. */
function postVia(
  agent: Agent,
  baseUrl: string,
  body: Record<string, unknown>,
): Promise<{ status: number; connection: string | undefined; error?: string }> {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const req = request(
      `${baseUrl}/api/warranties`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...bearer(defaultKey(baseUrl)) },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, connection: undefined, error: error.message }));
    req.end(data);
  });
}

/** Resolves with how long `service` took to exit after `signal`, and its exit code (or signal name). */
async function timedStop(
  service: ServiceProcess,
  signal: NodeJS.Signals,
  limitMs = 30_000,
): Promise<{ code: number | string; ms: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      service.stop(signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no exit ${limitMs} ms after ${signal}:\n${service.output().slice(-3000)}`)), limitMs);
      }),
    ]);
    return { code, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** Every accepted POST has its object with the right document; every outbox row is archived and has its object. */
async function assertEverythingArchived(sql: pg.Client, bucket: TestBucket, accepted: Sent[], proxy?: S3FaultProxy): Promise<void> {
  await proxy?.settled(); // a held-back PUT of a killed or stopped process may still land: read the bucket after it has
  const rows = await outboxRows(sql);
  assert.deepEqual(
    rows.filter((row) => !row.archived).map((row) => row.object_key),
    [],
    'every outbox row is archived',
  );
  const documents = await bucketDocuments(bucket);
  for (const row of rows) {
    assert.ok(documents.has(row.object_key), `object for outbox row ${row.object_key}`);
    assert.deepEqual(documents.get(row.object_key), row.document);
  }
  const rowsByRequest = new Map(rows.map((row) => [row.request_id, row]));
  for (const reply of accepted) {
    const row = rowsByRequest.get(reply.requestId);
    assert.ok(row, `outbox row for accepted request ${reply.requestId}`);
    const document = documents.get(row.object_key);
    assert.ok(document, `object for accepted request ${reply.requestId} (${row.object_key})`);
    assert.equal(document.event_id, row.event_id);
    assertArchivedDocument(row.object_key, document, reply);
  }
}

after(async () => {
  for (const service of processes) {
    if (alive(service)) {
      service.child.kill('SIGKILL');
      await service.stop('SIGKILL');
    }
  }
  for (const pid of workerPids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const stop of stoppers) await stop().catch(() => undefined);
  // The fault proxy forwards through Node's global keep-alive agent: close its idle sockets to s3rver too.
  globalAgent.destroy();
});

/** A fresh database and a SQL client on it, closed after the file. */
async function freshDatabase(): Promise<{ databaseUrl: string; sql: pg.Client }> {
  const databaseUrl = await createDatabase();
  const sql = await sqlClient(databaseUrl);
  stoppers.push(() => sql.end());
  return { databaseUrl, sql };
}

/** A fresh bucket reached through a fault proxy (whose mode makes S3 slow, down or up again). */
async function bucketBehindProxy(): Promise<{ bucket: TestBucket; proxy: S3FaultProxy; proxyUrl: string }> {
  const bucket = await createBucket();
  stoppers.push(async () => bucket.client.destroy());
  const proxy = new S3FaultProxy(bucket.endpoint);
  const proxyUrl = await proxy.start();
  stoppers.push(() => proxy.stop());
  return { bucket, proxy, proxyUrl };
}

describe('archive across service processes', () => {
  it('SIGKILL mid-burst: a restarted process uploads everything that was accepted', async (t) => {
    const { databaseUrl, sql } = await freshDatabase();
    const { bucket, proxy, proxyUrl } = await bucketBehindProxy();
    const env = serviceEnv(databaseUrl, { name: bucket.name, endpoint: proxyUrl }, { ARCHIVE_LEASE_MS: '1000', S3_TIMEOUT_MS: '5000' });

    proxy.mode = { kind: 'slow', delayMs: 3000 }; // keeps uploads in flight when the process dies
    const testStarted = Date.now();
    const first = await start(env);
    const startedIn = Date.now() - testStarted;
    let okSoFar = 0;
    let killedAt = -1;

    let uploadsAtKill = -1;
    let killing: Promise<unknown> | undefined;
    const sent = await pool(
      Array.from({ length: 120 }, (_, i) => payload('kill', i)),
      16,
      async (body) => {
        const reply = await sendTracked(first.url, body, undefined, 10_000);
        if (reply.status >= 200 && reply.status < 300 && ++okSoFar === 30) {
          killedAt = okSoFar;
          uploadsAtKill = proxy.requests;
          first.child.kill('SIGKILL');
          killing = first.stop('SIGKILL');
        }
        return reply;
      },
    );
    assert.equal(await killing, 'SIGKILL', 'the first process was killed');
    const burstDone = Date.now() - testStarted;
    const objectsAtKill = (await bucket.keys('warranties/')).length;
    const accepted = sent.filter((reply) => reply.status >= 200 && reply.status < 300);
    const failed = sent.filter((reply) => reply.status === 0);
    const rowsAtKill = await outboxRows(sql);
    t.diagnostic(
      `killed after ${killedAt} responses: accepted ${accepted.length}, transport errors ${failed.length}, ` +
        `outbox rows ${rowsAtKill.length}, uploads started ${uploadsAtKill}, objects in S3 right after the kill ${objectsAtKill}`,
    );
    assert.ok(accepted.length >= 30);
    assert.ok(failed.length > 0, 'some requests were cut off by the kill');
    assert.deepEqual(
      sent.filter((reply) => reply.status !== 0 && (reply.status < 200 || reply.status >= 300)).map((reply) => reply.status),
      [],
      'no error responses, only accepted requests or cut connections',
    );
    assert.ok(uploadsAtKill > 0, 'uploads were in flight at the kill');
    assert.ok(objectsAtKill < accepted.length, `uploads were unfinished at the kill (${objectsAtKill} of ${accepted.length} objects)`);
    assert.ok(rowsAtKill.filter((row) => !row.archived).length > 0, 'the kill left pending outbox rows');

    proxy.mode = { kind: 'up' };
    const second = await start(env);
    const restartedAt = Date.now();
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 30_000), 'the restarted process resumes the backlog');
    t.diagnostic(
      `first process ready after ${startedIn} ms, burst and kill done at ${burstDone} ms, second process ready at ` +
        `${restartedAt - testStarted} ms; it cleared the backlog in ${Date.now() - restartedAt} ms`,
    );
    await assertEverythingArchived(sql, bucket, accepted, proxy);
    const rows = await outboxRows(sql);
    assert.ok(rows.length >= accepted.length);
    const ready = await readiness(second.url);
    assert.equal(ready.archive.backlog, 0);
    assert.equal((await timedStop(second, 'SIGTERM')).code, 0);
  });

  it('two instances on one database and bucket: every record uploaded, no key PUT twice', async (t) => {
    const { databaseUrl, sql } = await freshDatabase();
    const bucket = await createBucket();
    stoppers.push(async () => bucket.client.destroy());
    const fault = new S3FaultProxy(bucket.endpoint);
    const faultUrl = await fault.start();
    const counting = new CountingS3Proxy(faultUrl);
    const countingUrl = await counting.start();
    stoppers.push(
      () => counting.stop(),
      () => fault.stop(),
    );
    // Default lease (30 s): far longer than any upload here, so only failed records are ever re-claimed.
    const env = serviceEnv(databaseUrl, { name: bucket.name, endpoint: countingUrl }, { S3_TIMEOUT_MS: '5000' });
    const [a, b] = await Promise.all([start(env), start(env)]);

    const burst = (tag: string, count: number) =>
      pool(
        Array.from({ length: count }, (_, i) => payload(tag, i)),
        12,
        (body, i) => sendTracked(i % 2 === 0 ? a.url : b.url, body),
      );
    const phase1 = await burst('two', 60);
    fault.mode = { kind: 'down' };
    const phase2 = await burst('twodown', 40);
    const accepted = [...phase1, ...phase2];
    assert.deepEqual(
      accepted.filter((reply) => reply.status !== 201).map((reply) => reply.status),
      [],
    );
    // While S3 is down both instances' sweepers keep claiming and failing the pending records.
    const ids = phase2.map((reply) => reply.requestId);
    assert.ok(
      await eventually(
        async () =>
          (await sql.query(`SELECT min(attempts)::int AS m FROM archive_record WHERE document->>'request_id' = ANY ($1)`, [ids])).rows[0]
            .m >= 3,
        20_000,
      ),
      'pending records are retried while S3 is down',
    );
    const backlogA = (await readiness(a.url)).archive.backlog;
    const backlogB = (await readiness(b.url)).archive.backlog;
    assert.ok(backlogA >= 40 && backlogB >= 40, `both instances report the shared backlog: ${backlogA}, ${backlogB}`);
    fault.mode = { kind: 'up' };
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 30_000), 'the backlog drains');
    await sleep(500); // any stray second upload would show up now

    await assertEverythingArchived(sql, bucket, accepted, fault);
    const rows = await outboxRows(sql);
    assert.equal(rows.length, 100);
    assert.deepEqual(counting.duplicates(), [], 'no key stored twice');
    for (const row of rows) assert.equal(counting.stored.get(row.object_key), 1, `stored once: ${row.object_key}`);
    assert.equal(counting.stored.size, 100);
    const retried = rows.filter((row) => (counting.attempts.get(row.object_key) ?? 0) > 1).length;
    const uploads = async (service: ServiceProcess) => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      return Number(/^archive_uploads_total (\d+)/m.exec(text)?.[1] ?? NaN);
    };
    const [uploadsA, uploadsB] = [await uploads(a), await uploads(b)];
    t.diagnostic(`uploads by instance A ${uploadsA}, by B ${uploadsB}; ${retried} keys needed more than one PUT attempt`);
    assert.equal(uploadsA + uploadsB, 100, 'the instances together uploaded each record once');
    assert.ok(uploadsA > 0 && uploadsB > 0);
    assert.equal((await timedStop(a, 'SIGTERM')).code, 0);
    assert.equal((await timedStop(b, 'SIGTERM')).code, 0);
  });

  it('SIGTERM drains uploads in flight: exit 0, objects in S3, records archived', async (t) => {
    const { databaseUrl, sql } = await freshDatabase();
    const { bucket, proxy, proxyUrl } = await bucketBehindProxy();
    const service = await start(serviceEnv(databaseUrl, { name: bucket.name, endpoint: proxyUrl }));

    proxy.mode = { kind: 'slow', delayMs: 1500 };
    const sent = await pool(
      Array.from({ length: 6 }, (_, i) => payload('term', i)),
      6,
      (body) => sendTracked(service.url, body),
    );
    assert.deepEqual(
      sent.map((reply) => reply.status),
      [201, 201, 201, 201, 201, 201],
    );
    assert.equal((await bucket.keys('warranties/')).length, 0, 'uploads still in flight when SIGTERM is sent');
    const { code, ms } = await timedStop(service, 'SIGTERM');
    t.diagnostic(`SIGTERM with 6 uploads in flight (S3 delay 1.5 s): exit ${code} after ${ms} ms`);
    assert.equal(code, 0, service.output().slice(-3000));
    assert.ok(ms < 10_000, `exited within SHUTDOWN_DRAIN_MS (took ${ms} ms)`);
    // Nothing else runs now: whatever is in S3 and the outbox was done by the stopped process.
    await assertEverythingArchived(sql, bucket, sent, proxy);
    assert.equal((await bucket.keys('warranties/')).length, 6);
  });

  it('SIGTERM while a POST is in flight: the request completes, and its record is uploaded before exit', async (t) => {
    const { databaseUrl, sql } = await freshDatabase();
    const { bucket, proxy, proxyUrl } = await bucketBehindProxy();
    const locker = await sqlClient(databaseUrl);
    stoppers.push(() => locker.end());
    const service = await start(serviceEnv(databaseUrl, { name: bucket.name, endpoint: proxyUrl }));

    const body = payload('inflight', 0);
    const first = await sendTracked(service.url, body);
    assert.equal(first.status, 201);
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 20_000));

    // Hold the item's row lock, so the next POST of the same item waits inside its transaction.
    proxy.mode = { kind: 'slow', delayMs: 1000 };
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM item WHERE sku = $1 FOR UPDATE', [body.item_sku]);
    const second = { ...body, item_cost: 200 };
    const pendingPost = sendTracked(service.url, second);
    try {
      assert.ok(await eventually(async () => (await lockWaiters(sql)) > 0, 5000, 20), 'the POST is waiting for the row lock');
      const stopping = timedStop(service, 'SIGTERM');
      await sleep(300);
      assert.ok(alive(service), 'the process waits for the request in flight');
      await locker.query('COMMIT');
      const released = Date.now();
      const reply = await pendingPost;
      const answeredIn = Date.now() - released;
      assert.equal(reply.status, 200, `the request in flight completes: ${reply.error ?? JSON.stringify(reply.body)}`);
      const { code, ms } = await stopping;
      t.diagnostic(
        `SIGTERM with a POST in flight: answered ${answeredIn} ms after the lock went, exit ${code} ${Date.now() - released} ms after it (${ms} ms after SIGTERM)`,
      );
      assert.equal(code, 0, service.output().slice(-3000));
      await assertEverythingArchived(sql, bucket, [first, reply], proxy);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
    }
  });

  it('SIGTERM: a keep-alive connection gets no new request served after the signal, and does not hold the exit up', async (t) => {
    const { databaseUrl, sql } = await freshDatabase();
    const locker = await sqlClient(databaseUrl);
    stoppers.push(() => locker.end());
    const service = await start(serviceEnv(databaseUrl));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    stoppers.push(async () => agent.destroy());

    const body = payload('keepalive', 0);
    assert.equal((await postVia(agent, service.url, body)).status, 201);
    await locker.query('BEGIN');
    try {
      await locker.query('SELECT id FROM item WHERE sku = $1 FOR UPDATE', [body.item_sku]);
      const inFlight = postVia(agent, service.url, { ...body, item_cost: 300 }); // same (only) socket, waits for the lock
      assert.ok(await eventually(async () => (await lockWaiters(sql)) > 0, 5000, 20));
      const stopping = timedStop(service, 'SIGTERM');
      await sleep(300);
      await locker.query('COMMIT');
      const answered = await inFlight;
      const answeredAt = Date.now();
      assert.equal(answered.status, 200, 'the request in flight completes');
      // A new request on the same connection after SIGTERM must not be served.
      const late = await postVia(agent, service.url, payload('keepalive', 1));
      const { code } = await stopping;
      const exitAfterAnswer = Date.now() - answeredAt;
      t.diagnostic(
        `in-flight answer carried Connection: ${answered.connection}; late request got ${late.status || late.error}; ` +
          `exit ${code} ${exitAfterAnswer} ms after the in-flight answer`,
      );
      assert.equal(code, 0);
      assert.ok(late.status === 0 || late.status === 503, `a request sent after SIGTERM was served: HTTP ${late.status}`);
      assert.ok(exitAfterAnswer < 2000, `an idle keep-alive connection held the exit up for ${exitAfterAnswer} ms`);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
    }
  });

  it('SIGTERM with S3 hanging: exits 0 at SHUTDOWN_DRAIN_MS; the records stay in the outbox for the next process', async (t) => {
    const { databaseUrl, sql } = await freshDatabase();
    const { bucket, proxy, proxyUrl } = await bucketBehindProxy();
    const env = serviceEnv(
      databaseUrl,
      { name: bucket.name, endpoint: proxyUrl },
      { SHUTDOWN_DRAIN_MS: '1000', S3_TIMEOUT_MS: '20000', ARCHIVE_LEASE_MS: '1000' },
    );
    const service = await start(env);
    proxy.mode = { kind: 'slow', delayMs: 6000 };
    const sent = await pool(
      Array.from({ length: 4 }, (_, i) => payload('hang', i)),
      4,
      (body) => sendTracked(service.url, body),
    );
    assert.ok(sent.every((reply) => reply.status === 201));
    const { code, ms } = await timedStop(service, 'SIGTERM');
    t.diagnostic(`SIGTERM with S3 hanging, SHUTDOWN_DRAIN_MS=1000: exit ${code} after ${ms} ms`);
    assert.equal(code, 0, service.output().slice(-3000));
    assert.ok(ms >= 800, `waited for the drain deadline (${ms} ms)`);
    assert.ok(ms < 5000, `did not wait past the drain deadline for S3 (${ms} ms)`);
    assert.equal(await pendingCount(sql), 4, 'unfinished uploads stay pending in the outbox');

    proxy.mode = { kind: 'up' };
    const next = await start(env);
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 30_000), 'the next process uploads them');
    await assertEverythingArchived(sql, bucket, sent, proxy);
    assert.equal((await timedStop(next, 'SIGTERM')).code, 0);
  });

  it('WEB_CONCURRENCY=2: two workers serve POSTs, archive each exactly once, SIGTERM exits 0', async (t) => {
    const { databaseUrl, sql } = await freshDatabase();
    const bucket = await createBucket();
    stoppers.push(async () => bucket.client.destroy());
    const counting = new CountingS3Proxy(bucket.endpoint);
    const countingUrl = await counting.start();
    stoppers.push(() => counting.stop());
    const service = await start(
      serviceEnv(databaseUrl, { name: bucket.name, endpoint: countingUrl }, { WEB_CONCURRENCY: '2', LOG_LEVEL: 'debug' }),
    );
    const workers = await listeningWorkers(service);

    const sent = await pool(
      Array.from({ length: 40 }, (_, i) => payload('cluster', i)),
      8,
      (body) => sendTracked(service.url, body),
    );
    assert.deepEqual(
      sent.filter((reply) => reply.status !== 201).map((reply) => `${reply.status} ${reply.error ?? ''}`),
      [],
    );
    assert.ok(await eventually(async () => (await pendingCount(sql)) === 0, 30_000));
    await sleep(500);
    await assertEverythingArchived(sql, bucket, sent);
    const rows = await outboxRows(sql);
    assert.equal(rows.length, 40);
    assert.deepEqual(counting.duplicates(), []);
    assert.equal(counting.stored.size, 40);
    const servedBy = new Set(
      logLines(service.output())
        .filter((line) => line.message === 'request' && line.route === '/api/warranties')
        .map((line) => Number(line.pid)),
    );
    assert.deepEqual([...servedBy].sort(), [...workers].sort(), 'both workers served POSTs');

    const { code, ms } = await timedStop(service, 'SIGTERM');
    t.diagnostic(`cluster SIGTERM: exit ${code} after ${ms} ms`);
    assert.equal(code, 0, service.output().slice(-3000));
    assert.ok(await eventually(async () => workers.every((pid) => !pidAlive(pid)), 5000), 'no worker left behind');
  });
  it('WEB_CONCURRENCY=2: a worker killed mid-upload is replaced, and its records are uploaded by the workers left', async (t) => {
    const { databaseUrl, sql } = await freshDatabase();
    const { bucket, proxy, proxyUrl } = await bucketBehindProxy();
    const service = await start(
      serviceEnv(
        databaseUrl,
        { name: bucket.name, endpoint: proxyUrl },
        { WEB_CONCURRENCY: '2', ARCHIVE_LEASE_MS: '1000', LOG_LEVEL: 'debug' },
      ),
    );
    const workers = await listeningWorkers(service);

    proxy.mode = { kind: 'slow', delayMs: 2500 };
    const sent = await pool(
      Array.from({ length: 30 }, (_, i) => payload('wkill', i)),
      6,
      (body) => sendTracked(service.url, body),
    );
    assert.ok(sent.every((reply) => reply.status === 201));
    process.kill(workers[0], 'SIGKILL'); // its uploads are still waiting in the slow proxy
    assert.ok(await eventually(async () => !pidAlive(workers[0]), 5000));
    proxy.mode = { kind: 'up' };
    const cleared = await eventually(async () => (await pendingCount(sql)) === 0, 30_000);
    if (!cleared) {
      const { rows } = await sql.query(
        `SELECT id, attempts, next_attempt_at, now() AS db_now, last_error FROM archive_record WHERE archived_at IS NULL ORDER BY id`,
      );
      const ready = await readiness(service.url).catch((error: unknown) => ({ error: String(error) }));
      assert.fail(
        `the surviving workers did not pick up the orphaned records: ${JSON.stringify(rows)}\n` +
          `workers now ${childPids(service.child.pid!).join(', ')} (killed ${workers[0]}); ready ${JSON.stringify(ready)}\n` +
          service.output().slice(-3000),
      );
    }
    await assertEverythingArchived(sql, bucket, sent, proxy);
    assert.ok(
      await eventually(async () => childPids(service.child.pid!).filter((pid) => pid !== workers[0]).length === 2, 20_000),
      'the primary forks a replacement worker',
    );
    for (const pid of childPids(service.child.pid!)) workerPids.add(pid);
    const ready = await fetch(`${service.url}/health/ready`);
    assert.equal(ready.status, 200);
    const { code, ms } = await timedStop(service, 'SIGTERM');
    t.diagnostic(`cluster with a replaced worker: SIGTERM exit ${code} after ${ms} ms`);
    assert.equal(code, 0, service.output().slice(-3000));
  });
});
