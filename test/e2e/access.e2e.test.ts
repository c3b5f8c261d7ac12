/**
 * Access (docs/contract/access.md; issue 10) on a real PostgreSQL through real HTTP: 401 for no, malformed,
 * unknown or revoked keys (with WWW-Authenticate: Bearer and nothing written); store keys scoped to
 * their store (403 STORE_MISMATCH, own rows only, 404 for another store's plan); admin keys see
 * everything; revocation within the cache TTL; last_used_at at most once a minute; refusals on
 * /metrics; key_prefix in the archive record and no key material in it; /metrics and /docs admin-only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { generateKey, prefixFrom } from '../../src/access/api-key.js';
import { ApiKeysService } from '../../src/access/api-keys.service.js';
import { assertError, assertNothingWritten } from '../support/api-assertions.js';
import { bearer, post, send, type Reply } from '../../harness/http-client.js';
import { createDatabase, eventually, SEED_PAYLOAD, serviceEnv, sleep, sqlClient, startApp, type TestApp } from '../support/test-env.js';
import { sample } from '../../harness/metrics-sample.js';

const item = (store: string, sku: string, cost = 150) => ({ ...SEED_PAYLOAD, store_uuid: store, item_sku: sku, item_cost: cost });

function assertUnauthorized(reply: Reply): void {
  assertError(reply, 401, 'UNAUTHORIZED');
  assert.equal(reply.headers.get('www-authenticate'), 'Bearer');
}

describe('API keys (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let sql: pg.Client;
  let storeA: string;
  let storeB: string;
  let revoked: string;

  before(async () => {
    const databaseUrl = await createDatabase();
    app = await startApp(serviceEnv(databaseUrl, undefined, { API_KEY_CACHE_TTL_MS: '1000' }));
    sql = await sqlClient(databaseUrl);
    storeA = await app.issueKey({ kind: 'store', storeUuid: 'store-a' });
    storeB = await app.issueKey({ kind: 'store', storeUuid: 'store-b' });
    revoked = await app.issueKey({ kind: 'store', storeUuid: 'store-a' });
    await app.app.get(ApiKeysService).revoke(prefixFrom(revoked)!);
    // Two stores with the same SKU, and a plan of store A's to look for from store B.
    assert.equal((await post(app.url, item('store-a', 'same-sku'), bearer(storeA))).status, 201);
    assert.equal((await post(app.url, item('store-b', 'same-sku', 300), bearer(storeB))).status, 201);
  });

  after(async () => {
    await sql?.end();
    await app?.close();
  });

  describe('401 UNAUTHORIZED (WWW-Authenticate: Bearer), nothing written', () => {
    const wrongSecret = () => `${prefixFrom(storeA)}_${'0'.repeat(64)}`;
    const cases: [string, () => Record<string, string>][] = [
      ['no Authorization header', () => ({ authorization: '' })],
      ['another scheme (Basic)', () => ({ authorization: `Basic ${Buffer.from(`x:${storeA}`).toString('base64')}` })],
      ['Bearer without a key', () => ({ authorization: 'Bearer' })],
      ['a malformed key', () => bearer('not-a-key')],
      ['a well-formed key nobody issued', () => bearer(generateKey('admin').key)],
      ["a store key's prefix with a wrong secret", () => bearer(wrongSecret())],
      ["a store key's prefix relabelled admin", () => bearer(storeA.replace('wsk_store_', 'wsk_admin_'))],
      ['a revoked key', () => bearer(revoked)],
    ];
    for (const [name, headers] of cases) {
      it(`${name}: POST, GET list, GET by id, GET pricing, an unknown /api path`, async () => {
        await assertNothingWritten(sql, async () => {
          assertUnauthorized(await post(app.url, item('store-a', 'unauthorised'), headers()));
          // Refused before the body is read: a malformed or oversized body without a key is still 401.
          assertUnauthorized(await post(app.url, '{"store_uuid": ', headers()));
          assertUnauthorized(await post(app.url, 'x'.repeat(20_000), headers()));
          for (const path of ['/api/warranties', '/api/warranties?store_uuid=store-a', '/api/warranties/1', '/api/pricing', '/api/nope']) {
            assertUnauthorized(await send(app.url, path, { headers: headers() }));
          }
        });
      });
    }

    it('health, GET / and (by default) /metrics and /docs stay open without a key', async () => {
      for (const path of ['/health/live', '/health/ready', '/', '/metrics', '/docs', '/docs-json']) {
        assert.equal((await send(app.url, path, { key: null })).status, 200, path);
      }
    });

    it('refusals are counted by reason on /metrics', async () => {
      const before = (await send(app.url, '/metrics')).text;
      await send(app.url, '/api/pricing', { key: generateKey('store').key });
      await send(app.url, '/api/pricing', { key: null });
      await send(app.url, '/api/pricing', { key: revoked });
      const after = (await send(app.url, '/metrics')).text;
      for (const reason of ['unknown', 'missing', 'revoked']) {
        const labels = { reason };
        assert.equal(sample(after, 'api_key_rejections_total', labels), sample(before, 'api_key_rejections_total', labels) + 1, reason);
      }
    });
  });

  describe('a store key: its own store only', () => {
    it('POST for another store → 403 STORE_MISMATCH naming store_uuid; nothing written', async () => {
      await assertNothingWritten(sql, async () => {
        assertError(await post(app.url, item('store-b', 'stolen'), bearer(storeA)), 403, 'STORE_MISMATCH', ['store_uuid']);
        assertError(await post(app.url, item('store-c', 'new-store'), bearer(storeA)), 403, 'STORE_MISMATCH', ['store_uuid']);
        // Refused before pricing: an ineligible item for another store is 403, not 422.
        assertError(await post(app.url, { ...item('store-b', 'x'), item_type: 'spaceships' }, bearer(storeA)), 403, 'STORE_MISMATCH');
      });
    });

    it('POST for its own store → 201/200 as usual; input errors keep their status', async () => {
      assert.equal((await post(app.url, item('store-a', 'own-1'), bearer(storeA))).status, 201);
      assert.equal((await post(app.url, item('store-a', 'own-1'), bearer(storeA))).status, 200);
      assertError(await post(app.url, { ...item('store-a', 'own-2'), item_cost: -1 }, bearer(storeA)), 400, 'VALIDATION_FAILED');
    });

    it('GET list: only its store, with or without filters; two stores with the same SKU each see their own', async () => {
      for (const [key, store] of [
        [storeA, 'store-a'],
        [storeB, 'store-b'],
      ]) {
        for (const query of ['', '?sku=same-sku', '?item_type=furniture', `?store_uuid=${store}`, `?store_uuid=${store}&sku=same-sku`]) {
          const page = await send(app.url, `/api/warranties${query}`, { key });
          assert.equal(page.status, 200, page.text);
          assert.ok(page.body.warranties.length > 0, `${store}${query}`);
          assert.ok(
            page.body.warranties.every((w: { store_uuid: string }) => w.store_uuid === store),
            `${store}${query}: ${page.text}`,
          );
        }
      }
      const admin = await send(app.url, '/api/warranties?sku=same-sku');
      assert.deepEqual([...new Set(admin.body.warranties.map((w: { store_uuid: string }) => w.store_uuid))].sort(), ['store-a', 'store-b']);
    });

    it('GET list filtered by another store → 403 STORE_MISMATCH (also a store that does not exist)', async () => {
      for (const other of ['store-b', 'store-zzz']) {
        assertError(await send(app.url, `/api/warranties?store_uuid=${other}`, { key: storeA }), 403, 'STORE_MISMATCH', ['store_uuid']);
      }
    });

    it("GET by id of another store's plan → 404 NOT_FOUND, the same answer as for no such plan", async () => {
      const theirs = (await send(app.url, '/api/warranties?store_uuid=store-b&sku=same-sku')).body.warranties[0];
      const mine = (await send(app.url, '/api/warranties?store_uuid=store-a&sku=same-sku')).body.warranties[0];
      const hidden = await send(app.url, `/api/warranties/${theirs.id}`, { key: storeA });
      assertError(hidden, 404, 'NOT_FOUND');
      const absent = await send(app.url, '/api/warranties/999999999', { key: storeA });
      assert.equal(hidden.body.message.replace(String(theirs.id), 'N'), absent.body.message.replace('999999999', 'N'));
      assert.equal((await send(app.url, `/api/warranties/${mine.id}`, { key: storeA })).status, 200);
      assert.equal((await send(app.url, `/api/warranties/${theirs.id}`)).status, 200, 'an admin key reads any plan');
    });

    it('GET /api/pricing works with any live key', async () => {
      assert.equal((await send(app.url, '/api/pricing', { key: storeB })).status, 200);
    });

    it('a key issued before its store exists: empty list, then its first POST creates the store', async () => {
      const key = await app.issueKey({ kind: 'store', storeUuid: 'future-store' });
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM store WHERE uuid = 'future-store'`);
      assert.equal(rows[0].n, 0);
      const empty = await send(app.url, '/api/warranties', { key });
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { warranties: [], next_cursor: null });
      assert.equal((await post(app.url, item('future-store', 'first'), bearer(key))).status, 201);
      assert.equal((await send(app.url, '/api/warranties', { key })).body.warranties.length, 2);
    });
  });

  describe('admin key', () => {
    it('writes for any store, including new ones', async () => {
      assert.equal((await post(app.url, item('store-b', 'by-admin'))).status, 201);
      assert.equal((await post(app.url, item('store-new', 'by-admin'))).status, 201);
    });
  });

  describe('key records', () => {
    it('revocation takes effect within API_KEY_CACHE_TTL_MS (1 s here)', async () => {
      const key = await app.issueKey({ kind: 'store', storeUuid: 'store-r' });
      assert.equal((await send(app.url, '/api/warranties', { key })).status, 200);
      await app.app.get(ApiKeysService).revoke(prefixFrom(key)!);
      const revokedAt = Date.now();
      assert.ok(
        await eventually(async () => (await send(app.url, '/api/warranties', { key })).status === 401, 3000, 50),
        'refused after revocation',
      );
      assert.ok(Date.now() - revokedAt <= 1000 + 500, `refused ${Date.now() - revokedAt} ms after revocation`);
      assertUnauthorized(await post(app.url, item('store-r', 'after-revoke'), bearer(key)));
    });

    it('only the hash is stored; last_used_at is set on use and written at most once a minute', async () => {
      const key = await app.issueKey({ kind: 'store', storeUuid: 'store-t' });
      const prefix = prefixFrom(key)!;
      const row = async () => (await sql.query('SELECT * FROM api_key WHERE prefix = $1', [prefix])).rows[0];
      const fresh = await row();
      assert.equal(fresh.last_used_at, null);
      assert.equal(fresh.kind, 'store');
      assert.equal(fresh.store_uuid, 'store-t');
      assert.match(fresh.key_hash, /^[0-9a-f]{64}$/);
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM api_key WHERE row_to_json(api_key)::text LIKE $1', [
        `%${key.slice(prefix.length + 1)}%`,
      ]);
      assert.equal(rows[0].n, 0, 'the secret is nowhere in the table');

      await send(app.url, '/api/warranties', { key });
      assert.ok(await eventually(async () => (await row()).last_used_at !== null, 5000, 50), 'last_used_at set');
      const first = (await row()).last_used_at.getTime();
      for (let i = 0; i < 5; i++) await send(app.url, '/api/warranties', { key });
      await sleep(1200); // past the cache TTL too: a re-read of the key is not a use to record again
      await send(app.url, '/api/warranties', { key });
      await sleep(200);
      assert.equal((await row()).last_used_at.getTime(), first, 'no second write within the minute');
    });

    it('the archive record names the key by its prefix; no key material in it', async () => {
      const key = await app.issueKey({ kind: 'store', storeUuid: 'store-archive' });
      const reply = await post(app.url, item('store-archive', 'archived'), { ...bearer(key), 'x-request-id': 'access-archive-1' });
      assert.equal(reply.status, 201);
      const { rows } = await sql.query(`SELECT document FROM archive_record WHERE document->>'request_id' = 'access-archive-1'`);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].document.key_prefix, prefixFrom(key));
      const all = (await sql.query('SELECT document::text AS text FROM archive_record')).rows.map((r) => r.text).join('\n');
      for (const secret of [key, storeA, storeB, app.adminKey].map((k) => k.slice(prefixFrom(k)!.length + 1))) {
        assert.ok(!all.includes(secret), 'a key secret in an archive record');
      }
    });
  });
});

describe('METRICS_ACCESS=admin, DOCS_ACCESS=admin', () => {
  let app: TestApp;
  let storeKey: string;

  before(async () => {
    app = await startApp(serviceEnv(await createDatabase(), undefined, { METRICS_ACCESS: 'admin', DOCS_ACCESS: 'admin' }));
    storeKey = await app.issueKey({ kind: 'store', storeUuid: 'store-a' });
  });
  after(() => app?.close());

  for (const path of ['/metrics', '/docs', '/docs/', '/docs-json']) {
    it(`${path}: no key → 401, a store key → 403 FORBIDDEN, an admin key → 200`, async () => {
      const none = await send(app.url, path, { key: null });
      assertError(none, 401, 'UNAUTHORIZED');
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
      assertError(await send(app.url, path, { key: storeKey }), 403, 'FORBIDDEN');
      assert.equal((await send(app.url, path, { key: app.adminKey })).status, 200);
    });
  }

  it('a browser may open /docs with the admin key as the Basic password (the challenge offers Basic)', async () => {
    const challenge = await send(app.url, '/docs', { key: null });
    assert.match(challenge.headers.get('www-authenticate') ?? '', /Basic realm=/);
    const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`admin:${key}`).toString('base64')}` });
    assert.equal((await send(app.url, '/docs', { headers: basic(app.adminKey) })).status, 200);
    assert.equal((await send(app.url, '/docs/swagger-ui.css', { headers: basic(app.adminKey) })).status, 200);
    assertError(await send(app.url, '/docs', { headers: basic(storeKey) }), 403, 'FORBIDDEN');
    // Basic is for the docs only: the API takes Bearer.
    assertError(await send(app.url, '/api/pricing', { headers: basic(app.adminKey) }), 401, 'UNAUTHORIZED');
  });

  it('the OpenAPI document marks /metrics as needing a key; health stays open', async () => {
    const doc = (await send(app.url, '/docs-json')).body;
    assert.deepEqual(doc.paths['/metrics'].get.security, [{ apiKey: [] }]);
    assert.ok(doc.paths['/metrics'].get.responses['403']);
    assert.deepEqual(doc.paths['/health/ready'].get.security, []);
    for (const path of ['/health/live', '/health/ready', '/']) assert.equal((await send(app.url, path, { key: null })).status, 200, path);
  });
});
