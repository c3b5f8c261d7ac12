/**
 * Text fields as PostgreSQL stores them (issue 15, parts 3 and 4), through real HTTP on real
 * PostgreSQL: a value over a column's length in Unicode code points is a 400 naming the field (never
 * the database's 500), in a single POST and as one item of a batch (the others saved); values at the
 * limit are saved whole. NFC and NFD spellings of a SKU are one item, also for the GET filter; SKUs
 * refuse control, format and private-use characters and noncharacters, titles refuse bidi overrides.
 * The migration that brings existing rows to NFC, and what it leaves alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MikroORM } from '@mikro-orm/postgresql';
import { migrationsList } from '../../migrations/index.js';
import { databaseConnection } from '../../src/database/database-url.js';
import { ormOptions } from '../../src/database/mikro-orm.config.js';
import { assertError, assertNothingWritten, snapshot } from '../support/api-assertions.js';
import { post, send, type Reply } from '../../harness/http-client.js';
import { appWithDatabase, createDatabase, SEED_PAYLOAD, sqlClient } from '../support/test-env.js';

const HEART = '\u2764\uFE0F';
const hex = (text: string) =>
  [...new Set([...text])].map((char) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
const codePoints = (text: string) => [...text].length;

/**
 * Units whose size in UTF-16 units, UTF-8 bytes or graphemes differs from their code points — the
 * counts a length check may confuse — each already NFC, plus U+0958, which NFC turns into two.
 */
const UNITS: Record<string, string> = {
  ascii: 'a',
  'two-byte UTF-8': 'é',
  'three-byte UTF-8': '€',
  astral: '📦',
  'x + variation selector': 'x\uFE0F',
  '❤️ (U+2764 U+FE0F)': HEART,
  'combining marks': 'q\u0316\u0301',
};

const LIMITS = { item_sku: 128, item_title: 255 } as const;

/** `unit` repeated up to exactly `length` code points (topped up with `z`). */
const filled = (unit: string, length: number) => unit.repeat(Math.floor(length / codePoints(unit))) + 'z'.repeat(length % codePoints(unit));

describe('text fields on real PostgreSQL', () => {
  const fixture = appWithDatabase();
  let serial = 0;
  const payload = (overrides: Record<string, unknown>) => ({ ...SEED_PAYLOAD, item_sku: `u-${serial++}`, ...overrides });
  const batch = (items: unknown[]): Promise<Reply> =>
    send(fixture.app.url, '/api/warranties/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ store_uuid: SEED_PAYLOAD.store_uuid, items }),
    });

  it('a value one code point over its column is a 400 naming the field, nothing written; at the limit it is saved whole', async (t) => {
    const overs: { name: string; field: string; value: string }[] = [];
    for (const [field, limit] of Object.entries(LIMITS)) {
      for (const [unitName, unit] of Object.entries(UNITS)) {
        const atLimit = filled(unit, limit);
        const saved = await post(fixture.app.url, payload({ [field]: atLimit }));
        assert.equal(saved.status, 201, `${field} ${unitName}: ${saved.text}`);
        assert.equal(saved.body.warranties[0][field], atLimit);
        const column = field === 'item_sku' ? 'sku' : 'title';
        const { rows } = await fixture.sql.query(`SELECT char_length(${column}) AS n FROM item WHERE sku = $1`, [
          saved.body.warranties[0].item_sku,
        ]);
        assert.equal(rows[0].n, limit);
        overs.push({ name: `${field} ${unitName}`, field, value: `${atLimit}z` });
      }
      // NFC grows U+0958 into two code points: it is the stored length that counts.
      overs.push({ name: `${field} U+0958 × ${limit} (NFC: × 2)`, field, value: '\u0958'.repeat(limit) });
    }
    const before = await snapshot(fixture.sql);
    const replies = [];
    for (const over of overs) replies.push({ ...over, reply: await post(fixture.app.url, payload({ [over.field]: over.value })) });
    const refused = replies.filter(({ reply }) => reply.status === 400);
    t.diagnostic(
      `${replies.length} over-long values: ${refused.length} × 400 naming the field; others: ` +
        (replies
          .filter(({ reply }) => reply.status !== 400)
          .map(({ name, reply }) => `${name} → ${reply.status}`)
          .join(', ') || 'none'),
    );
    for (const { field, reply } of replies) assertError(reply, 400, 'VALIDATION_FAILED', [field]);
    assert.deepEqual(await snapshot(fixture.sql), before, 'an over-long value changed the database');
  });

  it('the issue cases: 254 × a + ❤️ and 128 × x + U+FE0F are 400s; 253 × a + ❤️ is 201', async () => {
    await assertNothingWritten(fixture.sql, async () => {
      assertError(await post(fixture.app.url, payload({ item_title: `${'a'.repeat(254)}${HEART}` })), 400, 'VALIDATION_FAILED', [
        'item_title',
      ]);
      assertError(await post(fixture.app.url, payload({ item_sku: `${'x'.repeat(128)}\uFE0F` })), 400, 'VALIDATION_FAILED', ['item_sku']);
    });
    assert.equal((await post(fixture.app.url, payload({ item_title: `${'a'.repeat(253)}${HEART}` }))).status, 201);
  });

  it('a batch with one over-long item: that item gets its own 400, the 9 others are saved', async () => {
    const items = Array.from({ length: 10 }, (_, i) => ({
      item_type: 'furniture',
      item_sku: `ub-${i}`,
      item_cost: 150,
      item_title: i === 4 ? `${'a'.repeat(254)}${HEART}` : `Sofa ${i}`,
    }));
    items[7].item_sku = `${'x'.repeat(128)}\uFE0F`;
    const reply = await batch(items);
    assert.equal(reply.status, 200, reply.text);
    const statuses = reply.body.results.map((result: { status: number }) => result.status);
    assert.deepEqual(statuses, [201, 201, 201, 201, 400, 201, 201, 400, 201, 201]);
    assertError({ ...reply, status: 400, body: reply.body.results[4].error }, 400, 'VALIDATION_FAILED', ['item_title']);
    assertError({ ...reply, status: 400, body: reply.body.results[7].error }, 400, 'VALIDATION_FAILED', ['item_sku']);
    const { rows } = await fixture.sql.query(`SELECT count(*)::int AS n FROM item WHERE sku LIKE 'ub-%'`);
    assert.equal(rows[0].n, 8);
  });

  it('NFC and NFD spellings of a SKU are one item, stored NFC; the GET filter finds it in either form', async () => {
    const nfc = 'caf\u00e9-nfc';
    const nfd = 'cafe\u0301-nfc';
    const first = await post(fixture.app.url, payload({ item_sku: nfc, item_title: 'Cre\u0300me' }));
    assert.equal(first.status, 201, first.text);
    const second = await post(fixture.app.url, payload({ item_sku: nfd, item_title: 'Cr\u00e8me' }));
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(
      second.body.warranties.map((w: { id: number }) => w.id),
      first.body.warranties.map((w: { id: number }) => w.id),
    );
    const { rows } = await fixture.sql.query(`SELECT sku, title FROM item WHERE sku LIKE 'caf%-nfc' OR sku LIKE 'cafe%-nfc'`);
    assert.deepEqual(rows, [{ sku: nfc, title: 'Cr\u00e8me' }]);
    for (const sku of [nfc, nfd, ` ${nfd} `]) {
      const page = await send(fixture.app.url, `/api/warranties?sku=${encodeURIComponent(sku)}`);
      assert.equal(page.status, 200, page.text);
      assert.deepEqual(
        page.body.warranties.map((w: { id: number }) => w.id),
        first.body.warranties.map((w: { id: number }) => w.id),
        hex(sku),
      );
    }
  });

  it('a SKU with a zero-width space, RLO, a BOM inside, U+FFFF or a private-use character is a 400 naming item_sku; nothing written', async () => {
    await assertNothingWritten(fixture.sql, async () => {
      for (const char of ['\u200B', '\u202E', '\uFEFF', '\uFFFF', '\uE000', '\u{F0000}', '\u{E0001}', '\u2066']) {
        const reply = await post(fixture.app.url, payload({ item_sku: `sku${char}1` }));
        assertError(reply, 400, 'VALIDATION_FAILED', ['item_sku']);
        assert.ok(reply.body.details[0].message.includes(`(found ${hex(char)})`), reply.text);
        assertError(await send(fixture.app.url, `/api/warranties?sku=${encodeURIComponent(`sku${char}1`)}`), 400, 'VALIDATION_FAILED', [
          'sku',
        ]);
      }
    });
  });

  it('a title with a bidi override or isolate is a 400; emoji sequences with ZWJ and variation selectors are saved as sent', async () => {
    await assertNothingWritten(fixture.sql, async () => {
      for (const char of ['\u202A', '\u202E', '\u2066', '\u2069']) {
        assertError(await post(fixture.app.url, payload({ item_title: `Sofa ${char}evil` })), 400, 'VALIDATION_FAILED', ['item_title']);
      }
    });
    const title = `Family 👨\u200D👩\u200D👧 sofa ${HEART}`;
    const reply = await post(fixture.app.url, payload({ item_title: title }));
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.body.warranties[0].item_title, title);
  });
});

describe('migration nfc_item_text: existing rows to NFC', () => {
  const NFC_MIGRATION = 'Migration20261204131558_nfc_item_text';

  it('normalizes SKUs and titles where that makes no duplicate and fits the column; leaves the others as they are', async () => {
    const url = await createDatabase({ migrated: false });
    const { options: connection } = await databaseConnection(url);
    const orm = await MikroORM.init(ormOptions({ connection, poolSize: 1, acquireTimeoutMs: 10_000, statementTimeoutMs: 60_000 }));
    const sql = await sqlClient(url);
    try {
      const previous = migrationsList[migrationsList.findIndex((migration) => migration.name === NFC_MIGRATION) - 1].name;
      await orm.migrator.up({ to: previous });
      assert.equal((await sql.query('SHOW server_encoding')).rows[0].server_encoding, 'UTF8');
      await sql.query(`INSERT INTO store (id, uuid) VALUES (1, 'store-1'), (2, 'store-2')`);
      const rows: [number, number, string, string][] = [
        [1, 1, 'cafe\u0301', 'Cre\u0300me'], // alone in its store: normalized
        [2, 1, 'the\u0301', 'T'], // NFD twin of row 3: left as it is
        [3, 1, 'th\u00e9', 'T'],
        [4, 2, 'the\u0301', 'T'], // the same NFD SKU in another store, alone there: normalized
        [5, 1, '\u0958'.repeat(128), '\u0958'.repeat(255)], // NFC would be 256 / 510 code points: left as they are
        [6, 1, 'plain', 'Plain'], // already NFC: untouched
      ];
      for (const [id, store, sku, title] of rows) {
        await sql.query(`INSERT INTO item (id, store_id, sku, type, title, cost) VALUES ($1, $2, $3, 'furniture', $4, 150)`, [
          id,
          store,
          sku,
          title,
        ]);
      }
      const before = (await sql.query('SELECT id, updated_at FROM item ORDER BY id')).rows;

      await orm.migrator.up();

      const after = (await sql.query('SELECT id, sku, title, updated_at FROM item ORDER BY id')).rows;
      assert.deepEqual(
        after.map(({ id, sku, title }) => [Number(id), sku, title]),
        [
          [1, 'caf\u00e9', 'Cr\u00e8me'],
          [2, 'the\u0301', 'T'],
          [3, 'th\u00e9', 'T'],
          [4, 'th\u00e9', 'T'],
          [5, '\u0958'.repeat(128), '\u0958'.repeat(255)],
          [6, 'plain', 'Plain'],
        ],
      );
      assert.deepEqual(
        after.map((row) => row.updated_at.getTime()),
        before.map((row) => row.updated_at.getTime()),
        'a canonically equivalent value is not a change',
      );
      // What README (Operations) tells an operator to look for.
      const { rows: left } = await sql.query('SELECT id FROM item WHERE sku IS NOT NFC NORMALIZED ORDER BY id');
      assert.deepEqual(
        left.map((row) => Number(row.id)),
        [2, 5],
      );
    } finally {
      await sql.end();
      await orm.close(true);
    }
  });
});
