/**
 * The change feed never skips a change (docs/contract/changes.md), on real PostgreSQL: a transaction that took
 * its change position first and commits last is still delivered to a reader that follows the cursor the
 * whole time (also when the write is run again after a deadlock, in a new transaction); and under 8
 * concurrent writers (single POSTs and batches over shared SKUs) a reader that follows the feed ends
 * with every item's final state. CHANGE_FEED_SECONDS sets how long the writers run (default 10).
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { post, send } from '../../harness/http-client.js';
import { centsFromAmount } from '../../src/common/money.js';
import { PricingService } from '../../src/pricing/pricing.service.js';
import { StoresService } from '../../src/stores/stores.service.js';
import { SubmissionWriter, type PricedItem } from '../../src/warranties/submission-writer.js';
import type { SubmissionResult } from '../../src/warranties/warranty.js';
import { appWithDatabase, eventually, SEED_PAYLOAD, sleep } from '../support/test-env.js';

const WRITERS = 8;
const SECONDS = Number(process.env.CHANGE_FEED_SECONDS ?? 10);

/** Follows GET /api/changes from the beginning, page after page, keeping each item's latest entry, until stopped. */
class FeedReader {
  readonly items = new Map<string, any>();
  readonly seen: string[] = [];
  pages = 0;
  entries = 0;
  private cursor: string | undefined;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly query: string,
  ) {
    this.loop = this.follow();
  }

  private async follow(): Promise<void> {
    while (this.running) {
      const page = await send(
        this.url,
        `/api/changes?${[this.query, 'limit=50', this.cursor && `cursor=${this.cursor}`].filter(Boolean).join('&')}`,
      );
      assert.equal(page.status, 200, page.text);
      this.pages++;
      for (const entry of page.body.changes) {
        const key = `${entry.store_uuid}/${entry.item_sku}`;
        this.items.set(key, entry);
        this.seen.push(key);
        this.entries++;
      }
      this.cursor = page.body.next_cursor;
      if (page.body.changes.length === 0) await sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** An item as the feed and the table say it is now: fields, version, and each plan. */
const stateOfEntry = (entry: any) =>
  JSON.stringify([
    entry.item_type,
    entry.item_title,
    entry.item_cost,
    entry.pricing_version,
    entry.warranties.map((w: any) => [w.id, w.warranty_duration_months, w.warranty_price, w.pricing_version]),
  ]);

describe('the change feed never skips a change (real PostgreSQL)', () => {
  const fixture = appWithDatabase();

  /** Writes `sku` of `store` through the service's own writer, calling `publish` inside its transaction (which it may hold open). */
  const writeHeld = (store: string, sku: string, publish: (attempt: number) => Promise<void>): Promise<SubmissionResult[]> => {
    const app = fixture.app.app;
    const item = { ...SEED_PAYLOAD, store_uuid: store, item_sku: sku };
    const quote = app.get(PricingService, { strict: false }).quote(store, item.item_type, centsFromAmount(item.item_cost));
    const priced: PricedItem = {
      item,
      quote,
      facts: {
        sku,
        type: item.item_type,
        title: item.item_title,
        costCents: centsFromAmount(item.item_cost),
        pricingVersion: quote.pricingVersion,
      },
    };
    let attempt = 0;
    return app.get(SubmissionWriter, { strict: false }).write([priced], async (results) => {
      await publish(++attempt);
      return results;
    });
  };

  /** The store exists, committed: a held writer that created it would hold every later writer of the store at its insert. */
  const storeOf = async (store: string) => {
    await fixture.app.app.get(StoresService, { strict: false }).ensure(store);
    return store;
  };

  /** A gate: `opened` resolves once `open()` is called. */
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { open, opened };
  };

  it('a writer that took its position first and commits last: a reader following the cursor all along sees both', async (t: TestContext) => {
    const store = await storeOf('race-held');
    const reader = new FeedReader(fixture.app.url, `store_uuid=${store}`);
    const positioned = gate();
    const release = gate();
    let first: Promise<unknown> | undefined;
    try {
      // The first writer: its transaction has its id (taken by its first write) and has written item A — then it waits, open.
      first = writeHeld(store, 'A', async () => {
        positioned.open();
        await release.opened;
      });
      await positioned.opened;
      // A later writer takes a later position and commits while the first is still open.
      const second = await post(fixture.app.url, { ...SEED_PAYLOAD, store_uuid: store, item_sku: 'B' });
      assert.equal(second.status, 201);
      const pagesBefore = reader.pages;
      assert.ok(await eventually(async () => reader.pages >= pagesBefore + 20, 10_000, 10), 'the reader keeps polling');
      // How it holds: B's position is after A's, so B is not handed out while A may still commit before it.
      assert.deepEqual(reader.seen, [], 'nothing handed out past the open transaction');
      const committedAt = Date.now();
      release.open();
      await first;
      assert.ok(await eventually(async () => reader.items.has(`${store}/A`) && reader.items.has(`${store}/B`), 30_000, 10), 'both seen');
      t.diagnostic(`both delivered ${Date.now() - committedAt} ms after the first writer committed (${reader.pages} pages polled)`);
      assert.deepEqual(reader.seen, [`${store}/A`, `${store}/B`], 'each once, in position order');
    } finally {
      // A failed assertion must not leave the writer's transaction open (the app could not close).
      release.open();
      await first?.catch(() => undefined);
      await reader.stop();
    }
  });

  it('a write run again after a deadlock is in the feed at its new transaction’s position, also when a later writer commits first', async () => {
    const store = await storeOf('race-retried');
    const reader = new FeedReader(fixture.app.url, `store_uuid=${store}`);
    const positioned = gate();
    const release = gate();
    let retried: Promise<SubmissionResult[]> | undefined;
    try {
      retried = writeHeld(store, 'R', async (attempt) => {
        // The first run has taken a position and is aborted as PostgreSQL aborts a deadlock victim; the second run waits, open.
        if (attempt === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        positioned.open();
        await release.opened;
      });
      await positioned.opened;
      assert.equal((await post(fixture.app.url, { ...SEED_PAYLOAD, store_uuid: store, item_sku: 'S' })).status, 201);
      const pagesBefore = reader.pages;
      assert.ok(await eventually(async () => reader.pages >= pagesBefore + 20, 10_000, 10));
      assert.deepEqual(reader.seen, [], 'nothing handed out past the open transaction');
      release.open();
      const [result] = await retried;
      assert.equal(result.change, 'created');
      assert.ok(await eventually(async () => reader.items.has(`${store}/R`) && reader.items.has(`${store}/S`), 30_000, 10), 'both seen');
      assert.deepEqual(reader.seen, [`${store}/R`, `${store}/S`], 'each once, in position order');
    } finally {
      release.open();
      await retried?.catch(() => undefined);
      await reader.stop();
    }
  });

  it(`${WRITERS} concurrent writers for ${SECONDS} s and a reader following the feed: every item's final state seen, none missing`, async (t: TestContext) => {
    const url = fixture.app.url;
    const stores = ['race-s0', 'race-s1', 'race-s2'];
    const skus = Array.from({ length: 40 }, (_, i) => `sku-${i}`);
    const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)];
    // Few values, so that many writes change nothing (unchanged) and many change the same items again.
    const fields = () => ({
      item_type: pick(['furniture', 'electronics']),
      item_cost: pick([150, 200, 250]),
      item_title: pick(['Sofa', 'Chair']),
    });
    const answers = { created: 0, updated: 0, unchanged: 0, batches: 0, posts: 0 };
    const count = (change: keyof typeof answers) => answers[change]++;
    const reader = new FeedReader(url, '');
    const deadline = Date.now() + SECONDS * 1000;
    const writer = async () => {
      while (Date.now() < deadline) {
        const store = pick(stores);
        if (Math.random() < 0.25) {
          const items = Array.from({ length: 2 + Math.floor(Math.random() * 15) }, () => ({ item_sku: pick(skus), ...fields() }));
          const reply = await send(url, '/api/warranties/batch', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ store_uuid: store, items }),
          });
          assert.equal(reply.status, 200, reply.text);
          for (const result of reply.body.results) count(result.change);
          answers.batches++;
        } else {
          const reply = await post(url, { store_uuid: store, item_sku: pick(skus), ...fields() });
          assert.ok(reply.status === 200 || reply.status === 201, reply.text);
          count(reply.body.change);
          answers.posts++;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: WRITERS }, writer));
      // Every item as it is now, straight from the tables.
      const { rows } = await fixture.sql.query(
        `SELECT s.uuid AS store_uuid, i.sku, i.type, i.title, i.cost::float8 AS cost, i.pricing_version,
                json_agg(json_build_array(w.id, w.duration_months, w.price::float8, w.pricing_version) ORDER BY w.duration_months) AS plans
         FROM item i JOIN store s ON s.id = i.store_id JOIN warranty w ON w.item_id = i.id GROUP BY 1, 2, 3, 4, 5, 6`,
      );
      const final = new Map(
        rows.map((row) => [
          `${row.store_uuid}/${row.sku}`,
          JSON.stringify([row.type, row.title, row.cost, row.pricing_version, row.plans]),
        ]),
      );
      const caughtUp = () => [...final].every(([key, state]) => reader.items.has(key) && stateOfEntry(reader.items.get(key)) === state);
      const stoppedAt = Date.now();
      const ok = await eventually(async () => caughtUp(), 60_000, 20);
      t.diagnostic(
        `${answers.posts} POSTs and ${answers.batches} batches: ${answers.created} created, ${answers.updated} updated, ${answers.unchanged} unchanged; ` +
          `reader: ${reader.pages} pages, ${reader.entries} entries, caught up ${Date.now() - stoppedAt} ms after the writers stopped`,
      );
      const missing = [...final].filter(([key, state]) => !reader.items.has(key) || stateOfEntry(reader.items.get(key)) !== state);
      assert.ok(
        ok,
        `${missing.length} of ${final.size} items not seen in their final state, e.g. ${missing
          .slice(0, 3)
          .map(([key]) => key)
          .join(', ')}`,
      );
      assert.equal(reader.items.size, final.size, 'no item the tables do not have');
      assert.ok(answers.updated > 0 && answers.unchanged > 0, 'items changed and were re-sent unchanged');
    } finally {
      await reader.stop();
    }
  });
});
