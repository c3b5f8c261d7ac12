/**
 * The write path without HTTP, on real PostgreSQL (issue 16): the hot repositories (StoreRepository,
 * ItemRepository, WarrantyRepository) and SubmissionWriter from a Nest testing module over a fresh
 * database — what each statement does, the outcome of a write being that of its items saved one
 * after another, the lock-free answer to unchanged re-sends, one lock order for crossing writers, and
 * a deadlocked write run again as a whole. The HTTP side of the same: crossing-writers.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { TestingModule } from '@nestjs/testing';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/app-config.js';
import { Sql } from '../../src/database/sql.js';
import { ItemRepository, type ItemFacts } from '../../src/items/item.repository.js';
import { ItemsModule } from '../../src/items/items.module.js';
import { MetricsModule } from '../../src/metrics/metrics.module.js';
import type { Quote } from '../../src/pricing/pricing.service.js';
import { StoreRepository } from '../../src/stores/store.repository.js';
import { StoresModule } from '../../src/stores/stores.module.js';
import { SubmissionMetrics } from '../../src/warranties/submission-metrics.js';
import { SubmissionWriter, type PricedItem } from '../../src/warranties/submission-writer.js';
import type { SubmissionResult } from '../../src/warranties/warranty.js';
import { WarrantySchema } from '../../src/warranties/warranty.entity.js';
import { WarrantyRepository } from '../../src/warranties/warranty.repository.js';
import { sample } from '../../harness/metrics-sample.js';
import { compileModule, createDatabase, eventually, lockWaiters, serviceEnv, sqlClient } from '../support/test-env.js';

/** A quote made by hand (the writer stores whatever it is given): 12 and 24 months at a tenth and a fifth of the cost. */
const quoteFor = (costCents: number, pricingVersion = 'v1'): Quote => ({
  pricingVersion,
  plans: [
    { durationMonths: 12, priceCents: Math.round(costCents / 10) },
    { durationMonths: 24, priceCents: Math.round(costCents / 5) },
  ],
});

const facts = (sku: string, costCents = 15_000, title = `Sofa ${sku}`): ItemFacts => ({ sku, type: 'furniture', title, costCents });

const priced = (store: string, sku: string, costCents = 15_000, title = `Sofa ${sku}`): PricedItem => ({
  item: { store_uuid: store, item_type: 'furniture', item_sku: sku, item_cost: costCents / 100, item_title: title },
  facts: facts(sku, costCents, title),
  quote: quoteFor(costCents),
});

/** What a result says, without ids and timestamps: created, and each plan's months and price. */
const gist = (result: SubmissionResult) => ({
  created: result.created,
  plans: result.warranties.map((w) => [w.itemSku, w.itemCostCents, w.durationMonths, w.priceCents]),
});

describe('the write path on PostgreSQL (testing module, no HTTP)', () => {
  let databaseUrl: string;
  let moduleRef: TestingModule;
  let sql: Sql;
  let db: pg.Client;
  let stores: StoreRepository;
  let items: ItemRepository;
  let warranties: WarrantyRepository;
  let writer: SubmissionWriter;
  /** A write, alone (its results; nothing published). */
  const write = (entries: PricedItem[]) => writer.write(entries, async (results) => results);
  const retries = async (reason: string) =>
    sample(await moduleRef.get(Registry).getSingleMetricAsString('warranty_write_retries_total'), 'warranty_write_retries_total', {
      reason,
    });
  /** A store's id, created if new (outside any test transaction). */
  const storeId = async (uuid: string) => (await sql.transaction(() => stores.insertOrFind(uuid)))?.id ?? (await stores.findId(uuid))!;

  before(async () => {
    databaseUrl = await createDatabase();
    moduleRef = await compileModule(loadConfig(serviceEnv(databaseUrl)), {
      imports: [MetricsModule, StoresModule, ItemsModule, MikroOrmModule.forFeature([WarrantySchema])],
      providers: [WarrantyRepository, SubmissionMetrics, SubmissionWriter],
    });
    sql = moduleRef.get(Sql);
    stores = moduleRef.get(StoreRepository, { strict: false });
    items = moduleRef.get(ItemRepository, { strict: false });
    warranties = moduleRef.get(WarrantyRepository);
    writer = moduleRef.get(SubmissionWriter);
    db = await sqlClient(databaseUrl);
  });
  after(async () => {
    await db?.end();
    await moduleRef?.close();
  });

  describe('StoreRepository', () => {
    it('insertOrFind inserts a new store (not yet committed) and finds a committed one; findId reads it', async () => {
      const inserted = await sql.transaction(() => stores.insertOrFind('repo-store'));
      assert.equal(inserted?.committed, false, 'inserted by this transaction');
      const found = await sql.transaction(() => stores.insertOrFind('repo-store'));
      assert.deepEqual(found, { id: inserted!.id, committed: true });
      assert.equal(await stores.findId('repo-store'), inserted!.id);
      assert.equal(await stores.findId('no-such-store'), undefined);
    });
  });

  describe('ItemRepository', () => {
    it('insertOrFind inserts new items as sent and finds existing ones as stored, one entry per item in order (one item, and many)', async () => {
      const store = await storeId('repo-items');
      const [one] = await sql.transaction(() => items.insertOrFind([{ storeId: store, facts: facts('i-1') }]));
      assert.equal(one.inserted, true);
      const many = await sql.transaction(() =>
        items.insertOrFind([
          { storeId: store, facts: facts('i-2') },
          { storeId: store, facts: facts('i-1', 99_00, 'sent, not stored') },
        ]),
      );
      assert.deepEqual(
        many.map((item) => [item.inserted, item.stored]),
        [
          [true, facts('i-2')],
          [false, facts('i-1')],
        ],
      );
      assert.equal(many[1].id, one.id);
      const [again] = await sql.transaction(() => items.insertOrFind([{ storeId: store, facts: facts('i-1', 1) }]));
      assert.deepEqual([again.id, again.inserted, again.stored], [one.id, false, facts('i-1')], 'found as stored, not changed');
    });

    it('update makes items as sent and moves updated_at only when something changed', async () => {
      const store = await storeId('repo-update');
      const [a, b] = await sql.transaction(() =>
        items.insertOrFind([
          { storeId: store, facts: facts('u-a') },
          { storeId: store, facts: facts('u-b') },
        ]),
      );
      const stamps = async () =>
        (await db.query(`SELECT sku, title, cost::text, updated_at FROM item WHERE store_id = $1 ORDER BY sku`, [store])).rows;
      const before = await stamps();
      await sql.transaction(() =>
        items.update([
          { id: b.id, facts: facts('u-b', 20_000, 'Renamed') },
          { id: a.id, facts: facts('u-a') },
        ]),
      );
      const afterwards = await stamps();
      assert.deepEqual(afterwards[0], before[0], 'unchanged: updated_at kept');
      assert.deepEqual([afterwards[1].title, afterwards[1].cost], ['Renamed', '200.00']);
      assert.ok(afterwards[1].updated_at > before[1].updated_at, 'changed: updated_at moved');
    });

    it('lock holds the items’ rows until commit: another writer of them waits, a reader does not', async () => {
      const store = await storeId('repo-lock');
      const found = await sql.transaction(() =>
        items.insertOrFind([
          { storeId: store, facts: facts('l-a') },
          { storeId: store, facts: facts('l-b') },
        ]),
      );
      let release!: () => void;
      const held = sql.transaction(async () => {
        await items.lock(found.map((item) => item.id));
        await new Promise<void>((resolve) => (release = resolve));
      });
      await eventually(async () => release !== undefined, 5000, 5);
      await db.query('BEGIN');
      try {
        await assert.rejects(db.query(`SELECT id FROM item WHERE id = $1 FOR NO KEY UPDATE NOWAIT`, [found[1].id]), { code: '55P03' });
      } finally {
        await db.query('ROLLBACK');
      }
      assert.equal((await db.query(`SELECT count(*)::int AS n FROM item WHERE store_id = $1`, [store])).rows[0].n, 2, 'reads pass');
      release();
      await held;
    });
  });

  describe('WarrantyRepository', () => {
    it('replacePlans makes each item’s plans its quote: same durations keep their ids, dropped ones go, new ones are inserted; plansOf reads them', async () => {
      const store = await storeId('repo-plans');
      const [a, b] = await sql.transaction(() =>
        items.insertOrFind([
          { storeId: store, facts: facts('w-a') },
          { storeId: store, facts: facts('w-b') },
        ]),
      );
      const first = await sql.transaction(() =>
        warranties.replacePlans([
          { itemId: a.id, storeId: store, itemType: 'furniture', quote: quoteFor(10_000) },
          { itemId: b.id, storeId: store, itemType: 'furniture', quote: quoteFor(20_000) },
        ]),
      );
      assert.deepEqual(
        first.get(a.id)!.map((plan) => [plan.durationMonths, plan.priceCents, plan.inserted]),
        [
          [12, 1000, true],
          [24, 2000, true],
        ],
      );
      const changed: Quote = {
        pricingVersion: 'v2',
        plans: [
          { durationMonths: 24, priceCents: 2500 },
          { durationMonths: 36, priceCents: 3000 },
        ],
      };
      const second = await sql.transaction(() =>
        warranties.replacePlans([{ itemId: a.id, storeId: store, itemType: 'furniture', quote: changed }]),
      );
      const plans = second.get(a.id)!;
      assert.deepEqual(
        plans.map((plan) => [plan.durationMonths, plan.priceCents, plan.pricingVersion, plan.inserted]),
        [
          [24, 2500, 'v2', false],
          [36, 3000, 'v2', true],
        ],
      );
      assert.equal(plans[0].id, first.get(a.id)![1].id, 'the 24-month plan kept its id');
      const stored = await warranties.plansOf([a.id, b.id]);
      assert.deepEqual(
        stored.get(a.id)!.map((plan) => [plan.id, plan.durationMonths, plan.priceCents]),
        plans.map((plan) => [plan.id, plan.durationMonths, plan.priceCents]),
        'the 12-month plan is gone',
      );
      assert.equal(stored.get(b.id)!.length, 2, 'the other item’s plans are untouched');
    });
  });

  describe('SubmissionWriter', () => {
    it('saves new items (created) and answers an exact repeat in the same write from its first occurrence', async () => {
      const results = await write([priced('writer-new', 'n-1'), priced('writer-new', 'n-2', 50_000), priced('writer-new', 'n-1')]);
      assert.deepEqual(results.map(gist), [
        {
          created: true,
          plans: [
            ['n-1', 15_000, 12, 1500],
            ['n-1', 15_000, 24, 3000],
          ],
        },
        {
          created: true,
          plans: [
            ['n-2', 50_000, 12, 5000],
            ['n-2', 50_000, 24, 10_000],
          ],
        },
        {
          created: false,
          plans: [
            ['n-1', 15_000, 12, 1500],
            ['n-1', 15_000, 24, 3000],
          ],
        },
      ]);
      assert.deepEqual(results[2].warranties, results[0].warranties, 'same ids and timestamps');
    });

    it('one write gives what its items saved one after another give (the same item changed and changed back)', async () => {
      const sequence = (store: string) => [
        priced(store, 's-a'),
        priced(store, 's-a', 60_000),
        priced(store, 's-b'),
        priced(store, 's-a'),
        priced(store, 's-b', 15_000, 'Renamed'),
        priced(store, 's-a'),
      ];
      const together = await write(sequence('writer-together'));
      const oneByOne: SubmissionResult[] = [];
      for (const entry of sequence('writer-one-by-one')) oneByOne.push(...(await write([entry])));
      assert.deepEqual(together.map(gist), oneByOne.map(gist));
    });

    it('an unchanged re-send takes no lock: it is answered while another transaction holds the item’s row', async () => {
      const [saved] = await write([priced('writer-unlocked', 'x')]);
      await db.query('BEGIN');
      try {
        await db.query(`SELECT id FROM item WHERE sku = 'x' AND store_id = $1 FOR UPDATE`, [saved.warranties[0].storeId]);
        const resent = await Promise.race([
          write([priced('writer-unlocked', 'x'), priced('writer-unlocked', 'x')]),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the re-send waited for the row lock')), 3000)),
        ]);
        assert.deepEqual(
          resent.map((result) => result.warranties),
          [saved.warranties, saved.warranties],
        );
      } finally {
        await db.query('ROLLBACK');
      }
    });

    it('writers crossing on the same items take their locks in one order: they queue, neither deadlocks', async () => {
      const store = 'writer-crossing';
      await write([priced(store, 'A'), priced(store, 'B')]);
      const before = await retries('deadlock');
      // A test transaction holds B, so that both writers are under way before either can finish: the first
      // changes B in its first round and A in its second, the other A first and B second.
      const watcher = await sqlClient(databaseUrl);
      await db.query('BEGIN');
      await db.query(`SELECT id FROM item WHERE sku = 'B' FOR UPDATE`);
      try {
        const first = write([priced(store, 'A'), priced(store, 'B', 20_000), priced(store, 'A', 30_000)]);
        assert.ok(await eventually(async () => (await lockWaiters(watcher)) >= 1, 5000, 10), 'the first writer waits');
        const second = write([priced(store, 'B'), priced(store, 'A', 40_000), priced(store, 'B', 50_000)]);
        assert.ok(await eventually(async () => (await lockWaiters(watcher)) >= 2, 5000, 10), 'the second writer waits');
        await db.query('COMMIT');
        const results = await Promise.all([first, second]);
        assert.deepEqual(
          results.map((write) => write.map((result) => result.warranties[0].itemCostCents)),
          [
            [15_000, 20_000, 30_000],
            [15_000, 40_000, 50_000],
          ],
        );
      } finally {
        await db.query('ROLLBACK').catch(() => undefined);
        await watcher.end();
      }
      assert.equal(await retries('deadlock'), before, 'no deadlock to retry');
    });

    it('a write PostgreSQL aborts for a deadlock is run again as a whole and saved', async () => {
      const store = 'writer-deadlock';
      await write([priced(store, 'P'), priced(store, 'Q')]);
      const before = await retries('deadlock');
      const watcher = await sqlClient(databaseUrl);
      // The test's transaction waits longer before it looks for a deadlock, so the writer is the one PostgreSQL aborts.
      await db.query(`SET deadlock_timeout = '10s'`);
      await db.query('BEGIN');
      try {
        await db.query(`SELECT id FROM item WHERE sku = 'Q' FOR UPDATE`);
        let published = 0;
        // Settled here, so that a failed write fails this test where it is awaited, not as an unhandled rejection meanwhile.
        const writing = writer
          .write([priced(store, 'P', 20_000), priced(store, 'Q', 20_000)], async (results) => {
            published++;
            return results;
          })
          .then(
            (results) => ({ results }),
            (error: unknown) => ({ error }),
          );
        assert.ok(await eventually(async () => (await lockWaiters(watcher)) >= 1, 5000, 10), 'the writer holds P and waits for Q');
        await db.query(`SELECT id FROM item WHERE sku = 'P' FOR UPDATE`); // the test waits for P: a deadlock, the writer aborted
        await db.query('COMMIT');
        const written = await writing;
        assert.ok('results' in written, `the write failed: ${'error' in written ? String(written.error) : ''}`);
        assert.deepEqual(
          written.results.map((result) => result.warranties[0].itemCostCents),
          [20_000, 20_000],
        );
        assert.equal(published, 1, 'published once: by the run that committed');
      } finally {
        await db.query('ROLLBACK').catch(() => undefined);
        await db.query('RESET deadlock_timeout');
        await watcher.end();
      }
      assert.equal(await retries('deadlock'), before + 1);
    });
  });
});
