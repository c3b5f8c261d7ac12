/**
 * Every answer tells the truth when a COMMIT's reply is lost (issue 15, part 5): real PostgreSQL behind
 * a proxy that loses COMMITs (test/support/commit-losing-proxy.ts) — the reply dropped after the
 * server committed, the COMMIT never delivered (its transaction left open), or the connection cut as
 * the COMMIT goes out. The service asks PostgreSQL on another connection what became of the
 * transaction and answers each single POST, group member and batch with its true outcome; only
 * when it cannot learn that in time does it answer 503 OUTCOME_UNKNOWN.
 * LOST_COMMIT_REQUESTS sets the size of the mixed load (default 320 requests, 15 COMMITs lost; the
 * README's figures are from `LOST_COMMIT_REQUESTS=640 npm test -- dist/test/e2e/lost-commit.e2e.test.js`:
 * 600 POSTs and 40 batches, 30 COMMITs lost).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { assertError } from '../support/api-assertions.js';
import { CommitLosingProxy, type CommitLoss } from '../support/commit-losing-proxy.js';
import { post, send, type Reply } from '../../harness/http-client.js';
import { withPort } from '../support/tcp-proxy.js';
import { createDatabase, eventually, serviceEnv, sqlClient, startApp, type TestApp } from '../support/test-env.js';

/** Every 16th request is a batch of 5; one COMMIT in about 21 requests is lost. */
const REQUESTS = Number(process.env.LOST_COMMIT_REQUESTS ?? 320);
const BATCHES = Math.floor(REQUESTS / 16);
const POSTS = REQUESTS - BATCHES;
const LOSSES = Math.round((REQUESTS * 30) / 640);

const item = (store: string, sku: string, cost = 150) => ({
  store_uuid: store,
  item_type: 'furniture',
  item_sku: sku,
  item_cost: cost,
  item_title: `Sofa ${sku}`,
});

/** Loses the next COMMIT `loss`'s way, then forwards the others again. */
const once = (proxy: CommitLosingProxy, loss: CommitLoss) => {
  proxy.loses = () => {
    proxy.loses = () => undefined;
    return loss;
  };
};

/** What a request sent and was answered: a single POST (its item) or a batch (its store and items). */
interface Sent {
  requestId: string;
  store: string;
  skus: string[];
  reply: Reply;
}

/** The database's view of the stores' items: `store/sku` → [plan id, months, price, updated_at] per plan, by duration. */
async function storedPlans(sql: pg.Client, stores: readonly string[]): Promise<Map<string, unknown[][]>> {
  const { rows } = await sql.query(
    `SELECT s.uuid, i.sku, w.id::int, w.duration_months, w.price::float8 AS price, w.updated_at
     FROM store s JOIN item i ON i.store_id = s.id JOIN warranty w ON w.item_id = i.id
     WHERE s.uuid = ANY ($1) ORDER BY w.duration_months`,
    [stores],
  );
  const plans = new Map<string, unknown[][]>();
  for (const row of rows) {
    const key = `${row.uuid}/${row.sku}`;
    plans.set(key, [...(plans.get(key) ?? []), [row.id, row.duration_months, row.price, row.updated_at.toISOString()]]);
  }
  return plans;
}

const answered = (warranties: any[]) => warranties.map((w) => [w.id, w.warranty_duration_months, w.warranty_price, w.updated_at]);

/** request id → its archive records' responses and whether each was uploaded. */
async function archiveRecords(sql: pg.Client): Promise<Map<string, { response: unknown; archived: boolean }[]>> {
  const { rows } = await sql.query(
    `SELECT document->>'request_id' AS request_id, document->'response' AS response, archived_at IS NOT NULL AS archived FROM archive_record`,
  );
  const records = new Map<string, { response: unknown; archived: boolean }[]>();
  for (const row of rows)
    records.set(row.request_id, [...(records.get(row.request_id) ?? []), { response: row.response, archived: row.archived }]);
  return records;
}

/**
 * Each answer against the database: a 201/200 is stored with exactly the plans it gave (for a batch,
 * each item's) and has one archive record holding that answer; a 503 left nothing: none of its items,
 * no archive record. Fails with how many answers were untrue; returns the requests by status.
 */
async function assertAnswersAreTrue(sql: pg.Client, sent: readonly Sent[]): Promise<Record<string, number>> {
  const plans = await storedPlans(sql, [...new Set(sent.map((request) => request.store))]);
  const records = await archiveRecords(sql);
  const tally: Record<string, number> = {};
  const untrue: string[] = [];
  const check = (ok: boolean, problem: string) => ok || untrue.push(problem);
  for (const { requestId, store, skus, reply } of sent) {
    const kind = `${skus.length > 1 ? 'batch' : 'post'} ${reply.status}${reply.status === 503 ? ` ${reply.body?.code}` : ''}`;
    tally[kind] = (tally[kind] ?? 0) + 1;
    if (reply.status === 503) {
      check(
        skus.every((sku) => !plans.has(`${store}/${sku}`)) && !records.has(requestId),
        `${kind} ${requestId}, but it was saved (${skus.filter((sku) => plans.has(`${store}/${sku}`)).length} of ${skus.length} items, ${records.get(requestId)?.length ?? 0} archive records)`,
      );
      continue;
    }
    if (!check(reply.status === 201 || reply.status === 200, `${kind} ${requestId}: ${reply.text}`)) continue;
    const results = skus.length > 1 ? reply.body.results : [reply.body];
    skus.forEach((sku, i) =>
      check(
        isDeepStrictEqual(plans.get(`${store}/${sku}`), answered(results[i].warranties)),
        `${kind} ${requestId}: ${sku} not stored as answered`,
      ),
    );
    check(
      isDeepStrictEqual(
        records.get(requestId)?.map((record) => record.response),
        [{ status: reply.status, body: reply.body }],
      ),
      `${kind} ${requestId}: not one archive record holding the answer`,
    );
  }
  assert.deepEqual(untrue.slice(0, 5), [], `${untrue.length} of ${sent.length} answers untrue; answers: ${JSON.stringify(tally)}`);
  return tally;
}

describe('a lost COMMIT reply: every answer tells the truth (real PostgreSQL behind a COMMIT-losing proxy)', () => {
  let databaseUrl: string;
  let proxy: CommitLosingProxy;
  let app: TestApp;
  let sql: pg.Client;

  const postAs = async (body: ReturnType<typeof item>): Promise<Sent> => {
    const requestId = randomUUID();
    const reply = await post(app.url, body, { 'x-request-id': requestId }, 30_000);
    return { requestId, store: body.store_uuid, skus: [body.item_sku], reply };
  };
  const batchAs = async (store: string, skus: string[]): Promise<Sent> => {
    const requestId = randomUUID();
    const reply = await send(app.url, '/api/warranties/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ store_uuid: store, items: skus.map((sku) => ({ ...item(store, sku), store_uuid: undefined })) }),
      timeoutMs: 30_000,
    });
    return { requestId, store, skus, reply };
  };
  const uploaded = (sent: readonly Sent[]) =>
    eventually(async () => {
      const records = await archiveRecords(sql);
      return sent.every((request) => request.reply.status === 503 || records.get(request.requestId)?.every((record) => record.archived));
    }, 10_000);

  before(async () => {
    databaseUrl = await createDatabase();
    proxy = new CommitLosingProxy(Number(new URL(databaseUrl).port));
    // Two groups in flight, so that POSTs queue and are saved in groups; no sweeps: uploads are the listener's, after commit.
    app = await startApp(
      serviceEnv(withPort(databaseUrl, await proxy.start()), undefined, { DB_WRITE_GROUPS: '2', ARCHIVE_SWEEP_INTERVAL_MS: '3600000' }),
    );
    sql = await sqlClient(databaseUrl);
  });
  after(async () => {
    await sql?.end();
    await app?.close();
    await proxy?.stop();
  });

  it('costs no round trip while replies arrive: a lone POST’s transaction takes as many as before (BEGIN carries the transaction id)', async () => {
    // The store's id is cached once it is read committed: from the second POST on.
    for (let i = 0; i < 2; i++) await postAs(item('trips', 'warm-up'));
    const roundTrips = async (body: ReturnType<typeof item>) => {
      const seen = proxy.transactions.length;
      assert.ok((await postAs(body)).reply.status < 300);
      return proxy.transactions.slice(seen);
    };
    // BEGIN, the item, its plans (or, unchanged, a read of them), the archive record, COMMIT; a change also updates the item.
    assert.deepEqual(await roundTrips(item('trips', 'new')), [5], 'a new item');
    assert.deepEqual(await roundTrips(item('trips', 'new')), [5], 'an unchanged re-send');
    assert.deepEqual(await roundTrips(item('trips', 'new', 300)), [6], 'a changed item');
  });

  it('a lone POST whose COMMIT reply is lost after the commit: 201 as usual, stored as answered, its archive record uploaded', async () => {
    once(proxy, 'reply');
    const sent = await postAs(item('lone', 'reply-lost'));
    assert.equal(proxy.losses.reply, 1, 'the reply was lost');
    assert.equal(sent.reply.status, 201, sent.reply.text);
    await assertAnswersAreTrue(sql, [sent]);
    assert.ok(await uploaded([sent]), 'the upload after commit still happens');
  });

  it('a COMMIT that never reached PostgreSQL: 503 at once, nothing stored; the transaction it left open is ended', async () => {
    once(proxy, 'commit');
    const started = performance.now();
    const sent = await postAs(item('lone', 'commit-lost'));
    assertError(sent.reply, 503, 'SERVICE_UNAVAILABLE');
    assert.ok(performance.now() - started < 3000, `${Math.round(performance.now() - started)} ms`);
    await assertAnswersAreTrue(sql, [sent]);
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    assert.equal(rows[0].n, 0, 'the backend left in its transaction was ended, not left holding its locks');
    assert.equal((await postAs(item('lone', 'commit-lost'))).reply.status, 201, 'a re-send creates it: nothing had been saved');
  });

  it('a group whose COMMIT replies are lost: every member gets its own 201, stored as answered', async () => {
    proxy.loses = () => 'reply';
    const before = proxy.losses.reply;
    const sent = await Promise.all(Array.from({ length: 30 }, (_, i) => postAs(item('group', `g-${i}`))));
    proxy.loses = () => undefined;
    const lost = proxy.losses.reply - before;
    assert.ok(lost >= 1 && lost < 30, `30 POSTs committed in ${lost} transactions, each reply lost`);
    for (const request of sent) assert.equal(request.reply.status, 201, request.reply.text);
    await assertAnswersAreTrue(sql, sent);
    assert.ok(await uploaded(sent));
  });

  it('a batch whose COMMIT reply is lost: 200 with every result, stored as answered', async () => {
    once(proxy, 'reply');
    const sent = await batchAs('batch', ['b-1', 'b-2', 'b-3']);
    assert.equal(sent.reply.status, 200, sent.reply.text);
    assert.deepEqual(
      sent.reply.body.results.map((result: any) => result.status),
      [201, 201, 201],
    );
    await assertAnswersAreTrue(sql, [sent]);
  });

  it(`${POSTS} POSTs and ${BATCHES} batches with ${LOSSES} COMMITs lost (2 in 5 replies dropped, 2 in 5 cut as sent, 1 in 5 never delivered): every answer matches the database`, async () => {
    const kinds: CommitLoss[] = ['reply', 'both-ways', 'reply', 'both-ways', 'commit'];
    let commits = 0;
    let lost = 0;
    const before = { ...proxy.losses };
    proxy.loses = () => (++commits % 4 === 0 && lost < LOSSES ? kinds[lost++ % kinds.length] : undefined);
    const requests = Array.from({ length: REQUESTS }, (_, i) => () => {
      const store = `load-${i % 5}`;
      return i % 16 === 15
        ? batchAs(
            store,
            Array.from({ length: 5 }, (_, k) => `b-${i}-${k}`),
          )
        : postAs(item(store, `p-${i}`));
    });
    const sent: Sent[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (let next = requests.shift(); next; next = requests.shift()) sent.push(await next());
      }),
    );
    proxy.loses = () => undefined;
    const tally = await assertAnswersAreTrue(sql, sent);
    const losses = Object.fromEntries(Object.entries(proxy.losses).map(([kind, n]) => [kind, n - before[kind as CommitLoss]]));
    console.log(`lost COMMITs: ${JSON.stringify({ commits, ...losses })}; answers: ${JSON.stringify(tally)}`);
    assert.equal(lost, LOSSES, `only ${lost} of ${commits} COMMITs lost`);
    assert.deepEqual(
      Object.keys(tally).filter((kind) => kind.includes('OUTCOME_UNKNOWN')),
      [],
      'every outcome was learned',
    );
    assert.ok(await uploaded(sent), 'every saved answer is uploaded to the archive');
  });
});

describe('a lost COMMIT reply while the database cannot be asked: 503 OUTCOME_UNKNOWN', () => {
  let databaseUrl: string;
  let proxy: CommitLosingProxy;
  let app: TestApp;

  before(async () => {
    databaseUrl = await createDatabase();
    proxy = new CommitLosingProxy(Number(new URL(databaseUrl).port));
    // The outcome is looked into for as long as a statement may take: 1 s here.
    app = await startApp(serviceEnv(withPort(databaseUrl, await proxy.start()), undefined, { DB_STATEMENT_TIMEOUT_MS: '1000' }));
  });
  after(async () => {
    await app?.close();
    await proxy?.stop();
  });

  it('answers OUTCOME_UNKNOWN within the bound ("may have been saved"); once the database is back, the re-send is answered 200 with the same plans', async () => {
    const body = item('unknown', 'saved-unconfirmed');
    proxy.loses = () => {
      proxy.loses = () => undefined;
      proxy.mode = 'down'; // the reply is lost, and no connection can ask about it
      return 'reply';
    };
    const started = performance.now();
    const reply = await post(app.url, body, {}, 30_000);
    const ms = performance.now() - started;
    assertError(reply, 503, 'OUTCOME_UNKNOWN');
    assert.match(reply.body.message, /may have been saved/);
    assert.ok(reply.headers.get('retry-after'));
    assert.ok(ms < 5000, `${Math.round(ms)} ms`);
    proxy.mode = 'up';
    const again = await eventually(async () => (await post(app.url, body)).status === 200, 10_000);
    assert.ok(again, 'the write had been saved: its re-send is a 200');
  });
});
