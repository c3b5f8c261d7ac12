/**
 * Write coalescing (group commit) of single POSTs on real PostgreSQL — issue 11, part 1. The service
 * runs with one group commit in flight (DB_WRITE_GROUPS=1); a test transaction holds an item's row
 * so that the POST of that item stays in flight, the POSTs under test queue behind it (the service's
 * warranty_writes_waiting gauge says when they all wait), and releasing the hold lets them be saved
 * as one group (test/support/write-groups.ts). The queueing rules themselves: test/unit/group-commit.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { post, send, type Reply } from '../../harness/http-client.js';
import { sample } from '../../harness/metrics-sample.js';
import { startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import { TcpProxy, withPort } from '../support/tcp-proxy.js';
import {
  appWithDatabase,
  createDatabase,
  eventually,
  lockWaiters,
  serviceEnv,
  sqlClient,
  startApp,
  type TestApp,
} from '../support/test-env.js';
import { archiveRecordsOf, asOneGroup, holdItem, item, metrics, ONE_GROUP_IN_FLIGHT } from '../support/write-groups.js';

/** What an answer says, without what differs between stores (ids, timestamps, store_uuid). */
const gist = (reply: Reply) => ({
  status: reply.status,
  plans: Array.isArray(reply.body?.warranties)
    ? reply.body.warranties.map((w: any) => [w.item_sku, w.item_title, w.item_cost, w.warranty_duration_months, w.warranty_price])
    : reply.body?.code,
});

describe('write coalescing: single POSTs saved as one group (real HTTP, real PostgreSQL)', () => {
  const fixture = appWithDatabase(ONE_GROUP_IN_FLIGHT);
  const databaseUrl = () => fixture.app.config.database.url!;

  it('a lone POST is saved at once, alone: a group of one, nothing waiting', async () => {
    const before = await metrics(fixture.app.url);
    assert.equal((await post(fixture.app.url, item('lone-store', 'lone'))).status, 201);
    const afterwards = await metrics(fixture.app.url);
    assert.equal(sample(afterwards, 'warranty_write_group_size_count') - sample(before, 'warranty_write_group_size_count'), 1);
    assert.equal(sample(afterwards, 'warranty_write_group_size_sum') - sample(before, 'warranty_write_group_size_sum'), 1);
    assert.equal(sample(afterwards, 'warranty_writes_waiting'), 0);
  });

  it('POSTs that queue behind a write in flight are saved in one transaction, each with its own answer and archive record', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) =>
      item(`group-store-${i % 3}`, `g-${i}`, { item_type: i % 2 ? 'electronics' : 'furniture', item_cost: 100 + i }),
    );
    const { replies, held, groups, posts } = await asOneGroup(fixture.app.url, databaseUrl(), fixture.sql, bodies);
    assert.equal(held.status, 201, held.text);
    assert.deepEqual({ groups, posts }, { groups: 1, posts: 12 }, 'the twelve were saved as one group (the held POST had started before)');
    for (const [i, reply] of replies.entries()) {
      assert.equal(reply.status, 201, reply.text);
      const stored = await send(fixture.app.url, `/api/warranties?store_uuid=group-store-${i % 3}&sku=g-${i}`);
      assert.deepEqual(stored.body.warranties, reply.body.warranties, `POST ${i} was answered with what is stored for it`);
      const records = await archiveRecordsOf(fixture.sql, reply.headers.get('x-request-id')!);
      assert.equal(records.length, 1, `one archive record for POST ${i}`);
      assert.deepEqual(records[0].request, bodies[i]);
      assert.deepEqual(records[0].response, { status: 201, body: reply.body });
    }
  });

  it('the same item several times in one group gives what sending them one after another gives', async () => {
    const sequence = (store: string) => [
      item(store, 'twice'),
      item(store, 'twice'), // a re-send: 200, same plans
      item(store, 'twice', { item_cost: 600 }), // changed: 200, new prices
      item(store, 'twice', { item_cost: 600 }),
      item(store, 'twice'), // back again
      item(store, 'other'),
      item(store, 'other', { item_title: 'Renamed' }),
    ];
    const grouped = await asOneGroup(fixture.app.url, databaseUrl(), fixture.sql, sequence('same-grouped'));
    assert.deepEqual({ groups: grouped.groups, posts: grouped.posts }, { groups: 1, posts: 7 });
    const oneByOne: Reply[] = [];
    for (const body of sequence('same-sequential')) oneByOne.push(await post(fixture.app.url, body));
    assert.deepEqual(grouped.replies.map(gist), oneByOne.map(gist));
    assert.deepEqual(
      grouped.replies.map((reply) => reply.status),
      [201, 200, 200, 200, 200, 201, 200],
    );
    assert.deepEqual(
      grouped.replies[1].body.warranties,
      grouped.replies[0].body.warranties,
      'the re-send in the same group: same ids, same timestamps',
    );
    assert.deepEqual(
      grouped.replies.map((reply) => reply.body.change),
      ['created', 'unchanged', 'updated', 'unchanged', 'updated', 'created', 'updated'],
      'each says what it did, as one after another would',
    );
    const stored = async (store: string) =>
      (
        await fixture.sql.query(
          `SELECT i.sku, i.title, i.cost::text, w.duration_months, w.price::text FROM item i JOIN store s ON s.id = i.store_id
           JOIN warranty w ON w.item_id = i.id WHERE s.uuid = $1 ORDER BY 1, 4`,
          [store],
        )
      ).rows;
    assert.deepEqual(await stored('same-grouped'), await stored('same-sequential'), 'the same rows in the end');
  });

  it('one member PostgreSQL refuses does not fail the others: they are saved, it gets the answer it gets alone, nothing of it is written', async () => {
    // A value the database refuses though validation accepts it: a trigger stands in for a constraint the API does not know.
    await fixture.sql.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.title = 'poison' THEN RAISE EXCEPTION 'poison refused' USING ERRCODE = '23514'; END IF; RETURN NEW; END $$`);
    await fixture.sql.query(`CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON item FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
    try {
      const alone = await post(fixture.app.url, item('poison-store', 'poison-alone', { item_title: 'poison' }));
      assert.ok(alone.status >= 400, alone.text);
      const bodies = Array.from({ length: 9 }, (_, i) =>
        item('poison-store', `p-${i}`, i === 4 ? { item_title: 'poison' } : { item_cost: 200 + i }),
      );
      const { replies, groups, posts } = await asOneGroup(fixture.app.url, databaseUrl(), fixture.sql, bodies);
      assert.ok(groups > 1 && posts > 9, `the failed group was retried in parts (${groups} groups, ${posts} POSTs)`);
      for (const [i, reply] of replies.entries()) {
        if (i === 4) {
          assert.equal(reply.status, alone.status, reply.text);
          assert.equal(reply.body.code, alone.body.code);
        } else assert.equal(reply.status, 201, reply.text);
      }
      const { rows } = await fixture.sql.query(
        `SELECT i.sku FROM item i JOIN store s ON s.id = i.store_id WHERE s.uuid = 'poison-store' ORDER BY i.sku`,
      );
      assert.deepEqual(
        rows.map((row) => row.sku),
        ['p-0', 'p-1', 'p-2', 'p-3', 'p-5', 'p-6', 'p-7', 'p-8'],
      );
      assert.equal((await archiveRecordsOf(fixture.sql, replies[4].headers.get('x-request-id')!)).length, 0);
      for (const i of [0, 8]) assert.equal((await archiveRecordsOf(fixture.sql, replies[i].headers.get('x-request-id')!)).length, 1);
    } finally {
      await fixture.sql.query('DROP TRIGGER refuse_poison ON item; DROP FUNCTION refuse_poison()');
    }
  });
});

describe('write coalescing: the database lost in the middle of a group (real PostgreSQL behind a TCP proxy)', () => {
  let databaseUrl: string;
  let proxy: TcpProxy;
  let app: TestApp;
  let sql: pg.Client;

  before(async () => {
    databaseUrl = await createDatabase();
    proxy = new TcpProxy(Number(new URL(databaseUrl).port));
    const port = await proxy.start();
    app = await startApp(serviceEnv(withPort(databaseUrl, port), undefined, ONE_GROUP_IN_FLIGHT));
    sql = await sqlClient(databaseUrl);
  });
  after(async () => {
    await sql?.end();
    await app?.close();
    await proxy?.stop();
  });

  it('every member gets 503, nothing of the group is written, and the same POSTs succeed once the database is back', async () => {
    const store = 'outage-store';
    assert.equal((await post(app.url, item(store, 'setup'))).status, 201);
    // The group itself is held mid-transaction: one member's item is held by a second test transaction.
    const groupHold = await holdItem(databaseUrl, store, 'o-held');
    const bodies = [...Array.from({ length: 7 }, (_, i) => item(store, `o-${i}`)), item(store, 'o-held')];
    const { replies } = await asOneGroup(app.url, databaseUrl, sql, bodies, async (hold) => {
      await hold.release();
      // The group has begun (nothing waits for a slot) and waits for o-held: its other items are inserted, uncommitted.
      assert.ok(
        await eventually(
          async () => sample(await metrics(app.url), 'warranty_writes_waiting') === 0 && (await lockWaiters(sql)) >= 1,
          10_000,
          10,
        ),
        'the group waits inside its transaction',
      );
      proxy.mode = 'down';
      proxy.cut();
    });
    await groupHold.release();
    for (const reply of replies) assert.equal(reply.status, 503, reply.text);
    const { rows } = await sql.query(`SELECT i.sku FROM item i JOIN store s ON s.id = i.store_id WHERE s.uuid = $1 AND i.sku LIKE 'o-%'`, [
      store,
    ]);
    assert.deepEqual(rows, [], 'nothing of the group is written');
    for (const reply of replies) assert.equal((await archiveRecordsOf(sql, reply.headers.get('x-request-id')!)).length, 0);

    proxy.mode = 'up';
    assert.ok(await eventually(async () => (await post(app.url, item(store, 'o-0'))).status === 201, 10_000, 100));
    for (const body of bodies.slice(1)) assert.equal((await post(app.url, body)).status, 201);
  });
});

describe('write coalescing: SIGTERM while a group is queued (the service process)', () => {
  let databaseUrl: string;
  let service: ServiceProcess;
  let sql: pg.Client;

  before(async () => {
    databaseUrl = await createDatabase();
    service = await startServiceProcess(serviceEnv(databaseUrl, undefined, ONE_GROUP_IN_FLIGHT));
    sql = await sqlClient(databaseUrl);
  });
  after(async () => {
    await sql?.end();
    if (service && service.child.exitCode === null) await service.stop('SIGKILL');
  });

  it('the queued POSTs are still saved and answered before the process exits 0; each answer is stored with its archive record', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => item('sigterm-store', `t-${i}`));
    let exited: Promise<number | string> | undefined;
    const { replies, held } = await asOneGroup(service.url, databaseUrl, sql, bodies, async (hold) => {
      exited = service.stop('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await hold.release();
    });
    assert.equal(await exited, 0, service.tail(20));
    assert.equal(held.status, 201, held.text);
    for (const reply of replies) {
      assert.equal(reply.status, 201, reply.text);
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM warranty w JOIN item i ON i.id = w.item_id WHERE i.sku = $1`, [
        reply.body.warranties[0].item_sku,
      ]);
      assert.equal(rows[0].n, reply.body.warranties.length);
      assert.equal((await archiveRecordsOf(sql, reply.headers.get('x-request-id')!)).length, 1);
    }
  });
});
