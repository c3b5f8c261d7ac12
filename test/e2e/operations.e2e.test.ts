/**
 * Operations side of the API: unknown routes, X-Request-Id, health, metrics, OpenAPI document, and
 * what clients get when the database is unreachable, saturated or cut off (503, bounded, Retry-After).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { assertError, assertNoLeak, WARRANTY_KEYS } from '../support/api-assertions.js';
import { post, send, type Reply } from '../../harness/http-client.js';
import { freePort } from '../../src/common/free-port.js';
import { TcpProxy, withPort } from '../support/tcp-proxy.js';
import {
  createDatabase,
  eventually,
  lockWaiters,
  SEED_PAYLOAD,
  serviceEnv,
  sleep,
  sqlClient,
  startApp,
  type TestApp,
} from '../support/test-env.js';
import { sample } from '../../harness/metrics-sample.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Runs `act` and returns its result and how long it took. */
async function timed<T>(act: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await act();
  return { result, ms: performance.now() - started };
}

/** Like `send`, but a request that gets no answer within `ms` yields status 0 instead of throwing. */
async function sendWithin(url: string, path: string, ms: number, init: RequestInit = {}): Promise<Reply> {
  try {
    return await send(url, path, { ...init, timeoutMs: ms });
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return { status: 0, headers: new Headers(), text: `no answer within ${ms} ms`, body: undefined };
    }
    throw error;
  }
}

/** A 503 as the contract wants it: JSON error SERVICE_UNAVAILABLE with a Retry-After in seconds. */
function assertUnavailable(reply: Reply): void {
  assertError(reply, 503, 'SERVICE_UNAVAILABLE');
  const retryAfter = reply.headers.get('retry-after');
  assert.ok(retryAfter !== null && /^\d+$/.test(retryAfter) && Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
}

/** Closes an app even when its database connections are stuck, without hanging the test file. */
async function closeWithin(app: TestApp | undefined, ms = 10_000): Promise<void> {
  if (!app) return;
  await Promise.race([app.close().catch(() => undefined), sleep(ms)]);
}

describe('operations (real HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let sql: pg.Client;

  before(async () => {
    const databaseUrl = await createDatabase();
    app = await startApp(serviceEnv(databaseUrl));
    sql = await sqlClient(databaseUrl);
  });

  after(async () => {
    await sql?.end();
    await closeWithin(app);
  });

  describe('unknown routes', () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/api'],
      ['GET', '/api/warranty'],
      ['GET', '/api/warranties/1/extra'],
      ['POST', '/api/nope'],
      ['POST', '/api/warranties/1'],
      ['GET', '/health'],
      ['GET', '/.env'],
      ['GET', '/%2e%2e/%2e%2e/etc/passwd'],
    ] as const) {
      it(`${method} ${path} → 404 JSON NOT_FOUND`, async () => {
        const init: RequestInit =
          method === 'POST' ? { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(SEED_PAYLOAD) } : { method };
        assertError(await send(app.url, path, init), 404, 'NOT_FOUND');
      });
    }

    it('a method the route does not serve (DELETE, PUT, PATCH /api/warranties…) → 404 or 405 JSON; nothing written', async () => {
      for (const [method, path] of [
        ['DELETE', '/api/warranties'],
        ['PUT', '/api/warranties/1'],
        ['PATCH', '/api/warranties/1'],
        ['DELETE', '/api/warranties/1'],
      ]) {
        const reply = await send(app.url, path, { method });
        assert.ok(reply.status === 404 || reply.status === 405, `${method} ${path}: HTTP ${reply.status}`);
        assertError(reply, reply.status, reply.status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED');
      }
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM warranty');
      assert.equal(rows[0].n, 0);
    });
  });

  describe('X-Request-Id', () => {
    const probes: [string, (headers: Record<string, string>) => Promise<Reply>, number][] = [
      ['POST 201', (h) => post(app.url, { ...SEED_PAYLOAD, item_sku: `rid-${randomUUID()}` }, h), 201],
      ['GET list 200', (h) => send(app.url, '/api/warranties', { headers: h }), 200],
      ['POST 400 (validation)', (h) => post(app.url, { ...SEED_PAYLOAD, item_cost: 'x' }, h), 400],
      ['POST 400 (malformed JSON)', (h) => post(app.url, '{', h), 400],
      ['POST 413', (h) => post(app.url, { ...SEED_PAYLOAD, item_title: 'x'.repeat(20_000) }, h), 413],
      ['POST 415', (h) => post(app.url, SEED_PAYLOAD, { ...h, 'content-type': 'text/plain' }), 415],
      ['POST 422', (h) => post(app.url, { ...SEED_PAYLOAD, item_type: 'spaceship' }, h), 422],
      ['GET by id 404', (h) => send(app.url, '/api/warranties/999999', { headers: h }), 404],
      ['GET by id 400', (h) => send(app.url, '/api/warranties/abc', { headers: h }), 400],
      ['unknown route 404', (h) => send(app.url, '/nope', { headers: h }), 404],
      ['GET /health/live', (h) => send(app.url, '/health/live', { headers: h }), 200],
      ['GET /health/ready', (h) => send(app.url, '/health/ready', { headers: h }), 200],
      ['GET /metrics', (h) => send(app.url, '/metrics', { headers: h }), 200],
    ];

    for (const [name, probe, status] of probes) {
      it(`${name}: the client's X-Request-Id is echoed; without one, a fresh UUID is generated`, async () => {
        const clientId = `client-${randomUUID()}`;
        const echoed = await probe({ 'x-request-id': clientId });
        assert.equal(echoed.status, status, echoed.text);
        assert.equal(echoed.headers.get('x-request-id'), clientId);
        const generated = await probe({});
        assert.equal(generated.status, status, generated.text);
        assert.match(generated.headers.get('x-request-id') ?? '', UUID);
      });
    }

    for (const path of ['/docs', '/docs-json']) {
      it(`GET ${path} carries X-Request-Id too ("every response")`, async () => {
        const clientId = `client-${randomUUID()}`;
        const reply = await send(app.url, path, { headers: { 'x-request-id': clientId } });
        assert.equal(reply.status, 200);
        assert.equal(reply.headers.get('x-request-id'), clientId);
        assert.match((await send(app.url, path)).headers.get('x-request-id') ?? '', UUID);
      });
    }

    it('generated ids differ from request to request', async () => {
      const ids = await Promise.all(
        Array.from({ length: 20 }, async () => (await send(app.url, '/health/live')).headers.get('x-request-id')),
      );
      assert.equal(new Set(ids).size, 20);
    });

    it('an unusable client id (empty, spaces, control characters, over 128 chars) is replaced by a UUID', async () => {
      for (const bad of ['', 'has space', 'tab\there', 'x'.repeat(129), 'ümlaut']) {
        const reply = await fetch(`${app.url}/health/live`, { headers: { 'x-request-id': bad } }).catch(() => undefined);
        if (!reply) continue; // fetch itself refuses some header values; nothing to check then
        await reply.arrayBuffer();
        assert.match(reply.headers.get('x-request-id') ?? '', UUID, JSON.stringify(bad));
      }
      const longest = '~'.repeat(128);
      assert.equal((await send(app.url, '/health/live', { headers: { 'x-request-id': longest } })).headers.get('x-request-id'), longest);
    });

    it('concurrent requests each get their own id back (no cross-talk)', async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `concurrent-${i}-${randomUUID()}`);
      const replies = await Promise.all(
        ids.map((id, i) =>
          i % 2 === 0
            ? post(app.url, { ...SEED_PAYLOAD, item_sku: `concurrent-${i}` }, { 'x-request-id': id })
            : send(app.url, '/api/warranties?limit=5', { headers: { 'x-request-id': id } }),
        ),
      );
      assert.deepEqual(
        replies.map((reply) => reply.headers.get('x-request-id')),
        ids,
      );
    });

    it("the archive record of a POST carries the client's request id", async () => {
      const clientId = `archive-${randomUUID()}`;
      const reply = await post(app.url, { ...SEED_PAYLOAD, item_sku: 'rid-archive' }, { 'x-request-id': clientId });
      assert.equal(reply.status, 201);
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM archive_record WHERE document->>'request_id' = $1`, [clientId]);
      assert.equal(rows[0].n, 1);
    });
  });

  describe('health', () => {
    it('GET /health/live → 200 JSON, status ok', async () => {
      const reply = await send(app.url, '/health/live');
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(reply.body.status, 'ok');
    });

    it('GET /health/ready → 200 JSON: database up, archive backlog reported', async () => {
      const reply = await send(app.url, '/health/ready');
      assert.equal(reply.status, 200, reply.text);
      assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(reply.body.status, 'ok');
      assert.equal(reply.body.info.database.status, 'up');
      const archive = reply.body.info.archive;
      assert.equal(archive.status, 'up');
      assert.ok(Number.isInteger(archive.backlog) && archive.backlog >= 0, reply.text);
      assert.ok(typeof archive.oldest_pending_age_seconds === 'number' && archive.oldest_pending_age_seconds >= 0, reply.text);
      assert.equal(archive.stuck, false);
    });

    it('the readiness backlog counts records not yet archived', async () => {
      // A record leased far into the future: the in-process uploader never saw it, the sweeper will not take it yet.
      await sql.query(
        `INSERT INTO archive_record (event_id, object_key, document, attempts, next_attempt_at, created_at)
         VALUES ($1, 'warranties/test/backlog.json', '{}'::jsonb, 1, now() + interval '1 hour', now() - interval '10 seconds')`,
        [randomUUID()],
      );
      try {
        const reply = await send(app.url, '/health/ready');
        assert.equal(reply.status, 200);
        assert.ok(reply.body.info.archive.backlog >= 1, reply.text);
        assert.ok(reply.body.info.archive.oldest_pending_age_seconds >= 9, reply.text);
      } finally {
        await sql.query(`DELETE FROM archive_record WHERE object_key = 'warranties/test/backlog.json'`);
      }
    });
  });

  describe('metrics', () => {
    const scrape = async (): Promise<string> => {
      const reply = await send(app.url, '/metrics');
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return reply.text;
    };

    it('GET /metrics is Prometheus text with request counters, latency histogram and archive metrics', async () => {
      const text = await scrape();
      for (const line of [
        '# TYPE http_requests_total counter',
        '# TYPE http_request_duration_seconds histogram',
        '# TYPE archive_backlog_records gauge',
        '# TYPE archive_upload_failures_total counter',
      ]) {
        assert.ok(text.includes(line), `missing "${line}"`);
      }
    });

    it('signals for an operator: pool gauges, build info, rejection counters from 0, Node defaults under Prometheus names', async () => {
      const text = await scrape();
      assert.ok(sample(text, 'db_pool_connections') >= 1);
      assert.ok(sample(text, 'db_pool_idle_connections') <= sample(text, 'db_pool_connections'));
      assert.equal(sample(text, 'db_pool_max_connections'), app.config.database.poolSize);
      assert.match(text, /^db_pool_waiting_requests \d+$/m);
      const build = /^warranty_build_info\{version="([^"]+)",commit="([^"]+)"\} 1$/m.exec(text);
      assert.ok(build, 'warranty_build_info{version,commit} 1');
      assert.equal(build[1], JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version);
      // Series an alert needs before anything happened: every key refusal reason, every refusal of the HTTP server.
      for (const reason of ['missing', 'malformed', 'unknown', 'revoked'])
        assert.match(text, new RegExp(`^api_key_rejections_total\\{reason="${reason}"\\} \\d+$`, 'm'));
      for (const reason of ['deadlock', 'serialization'])
        assert.match(text, new RegExp(`^warranty_write_retries_total\\{reason="${reason}"\\} \\d+$`, 'm'));
      for (const status of [400, 405, 408, 413, 417, 431])
        assert.match(
          text,
          new RegExp(`^http_requests_total\\{method="-",route="refused by the HTTP server",status="${status}"\\} \\d+$`, 'm'),
        );
      for (const name of [
        'process_cpu_seconds_total counter',
        'process_resident_memory_bytes gauge',
        'process_start_time_seconds gauge',
        'nodejs_eventloop_lag_seconds gauge',
        'nodejs_heap_size_used_bytes gauge',
      ])
        assert.ok(text.includes(`# TYPE ${name}`), name);
    });

    it('http_requests_total counts each request once under its route template and status', async () => {
      const labels201 = { method: 'POST', route: '/api/warranties', status: '201' };
      const labels422 = { method: 'POST', route: '/api/warranties', status: '422' };
      const labelsById = { method: 'GET', route: '/api/warranties/:id', status: '404' };
      const before = await scrape();
      assert.equal((await post(app.url, { ...SEED_PAYLOAD, item_sku: `metrics-${randomUUID()}` })).status, 201);
      assert.equal((await post(app.url, { ...SEED_PAYLOAD, item_type: 'spaceship' })).status, 422);
      assert.equal((await send(app.url, '/api/warranties/987654')).status, 404);
      const after = await scrape();
      assert.equal(sample(after, 'http_requests_total', labels201), sample(before, 'http_requests_total', labels201) + 1);
      assert.equal(sample(after, 'http_requests_total', labels422), sample(before, 'http_requests_total', labels422) + 1);
      assert.equal(sample(after, 'http_requests_total', labelsById), sample(before, 'http_requests_total', labelsById) + 1);
      // The latency histogram carries the status too (issue 9, item 9).
      for (const labels of [labels201, labels422, labelsById]) {
        assert.equal(
          sample(after, 'http_request_duration_seconds_count', labels),
          sample(before, 'http_request_duration_seconds_count', labels) + 1,
          JSON.stringify(labels),
        );
      }
    });

    it('bodies refused before the controller (bad JSON, 413, 415) count under their route, not "unmatched"', async () => {
      const labels = (status: string) => ({ method: 'POST', route: '/api/warranties', status });
      const before = await scrape();
      assert.equal((await post(app.url, '{"store_uuid":')).status, 400);
      assert.equal((await post(app.url, JSON.stringify({ ...SEED_PAYLOAD, item_title: 'x'.repeat(20_000) }))).status, 413);
      assert.equal((await post(app.url, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);
      const after = await scrape();
      for (const status of ['400', '413', '415']) {
        assert.equal(
          sample(after, 'http_requests_total', labels(status)),
          sample(before, 'http_requests_total', labels(status)) + 1,
          status,
        );
      }
    });

    it('archive_backlog_records is read at scrape time, not one scrape behind', async () => {
      const pendingNow = async () =>
        (await sql.query(`SELECT count(*)::int AS n FROM archive_record WHERE archived_at IS NULL`)).rows[0].n as number;
      // The earlier tests' uploads finish first (their marks are written in batches, every 250 ms at most): the count
      // holds still for 600 ms, so a scrape and a count read the same state.
      const settled = async () => {
        let last = -1;
        assert.ok(await eventually(async () => last === (last = await pendingNow()), 20_000, 600), 'the archive settles');
      };
      await settled();
      await scrape();
      await sql.query(
        `INSERT INTO archive_record (event_id, object_key, document, attempts, next_attempt_at)
         SELECT gen_random_uuid(), 'warranties/test/scrape-' || g || '.json', '{}'::jsonb, 1, now() + interval '1 hour'
         FROM generate_series(1, 3) g`,
      );
      try {
        const expected = await pendingNow();
        assert.equal(sample(await scrape(), 'archive_backlog_records', {}), expected, 'the first scrape after the change shows it');
      } finally {
        await sql.query(`DELETE FROM archive_record WHERE object_key LIKE 'warranties/test/scrape-%'`);
      }
      await settled();
      assert.equal(sample(await scrape(), 'archive_backlog_records', {}), await pendingNow());
    });

    it('unknown paths and ids never become label values (bounded cardinality)', async () => {
      const marker = `zz${randomUUID().replaceAll('-', '')}`;
      await send(app.url, `/${marker}`);
      await send(app.url, `/api/warranties/${marker.length}${'7'.repeat(9)}`);
      const text = await scrape();
      assert.ok(!text.includes(marker), 'an unknown path became a label');
      assert.ok(!text.includes(`${'7'.repeat(9)}`), 'a warranty id became a label');
    });
  });

  describe('OpenAPI document and Swagger UI', () => {
    let doc: any;
    const resolve = (schema: any): any => {
      if (schema?.$ref) return resolve(doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
      if (schema?.allOf?.length === 1) return resolve(schema.allOf[0]);
      return schema;
    };
    const jsonSchema = (responseOrBody: any): any => resolve(responseOrBody?.content?.['application/json']?.schema);
    const assertWarrantySchema = (schema: any): void => {
      assert.deepEqual(Object.keys(schema.properties).sort(), WARRANTY_KEYS);
      for (const key of ['id', 'store_id', 'warranty_duration_months']) assert.equal(schema.properties[key].type, 'integer', key);
      for (const key of ['item_cost', 'warranty_price']) assert.equal(schema.properties[key].type, 'number', key);
      for (const key of ['store_uuid', 'item_sku', 'item_type', 'item_title', 'pricing_version', 'created_at', 'updated_at']) {
        assert.equal(schema.properties[key].type, 'string', key);
      }
      assert.deepEqual([...(schema.required ?? [])].sort(), WARRANTY_KEYS, 'every Warranty field is always present');
    };

    before(async () => {
      const reply = await send(app.url, '/docs-json');
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
      doc = reply.body;
    });

    it('GET /docs serves the Swagger UI (HTML)', async () => {
      const reply = await send(app.url, '/docs');
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(reply.text, /swagger-ui/i);
    });

    it('is an OpenAPI 3 document with the three API operations and the health checks', () => {
      assert.match(doc.openapi, /^3\./);
      assert.ok(doc.paths['/api/warranties']?.post, 'POST /api/warranties');
      assert.ok(doc.paths['/api/warranties']?.get, 'GET /api/warranties');
      assert.ok(doc.paths['/api/warranties/{id}']?.get, 'GET /api/warranties/{id}');
      assert.ok(doc.paths['/health/live']?.get);
      assert.ok(doc.paths['/health/ready']?.get);
      const operationIds = Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((op: any) => op.operationId));
      assert.equal(new Set(operationIds).size, operationIds.length, 'operationIds are unique (generated clients need them)');
    });

    it('POST request body: required JSON with exactly the five fields, their types and limits, and the seed example', () => {
      const body = doc.paths['/api/warranties'].post.requestBody;
      assert.equal(body.required, true);
      const schema = jsonSchema(body);
      assert.deepEqual(Object.keys(schema.properties).sort(), ['item_cost', 'item_sku', 'item_title', 'item_type', 'store_uuid']);
      assert.deepEqual([...schema.required].sort(), ['item_cost', 'item_sku', 'item_title', 'item_type', 'store_uuid']);
      assert.equal(schema.properties.item_cost.type, 'number');
      assert.equal(schema.properties.item_cost.maximum, 1_000_000);
      for (const [field, max] of [
        ['store_uuid', 64],
        ['item_type', 64],
        ['item_sku', 128],
        ['item_title', 255],
      ] as const) {
        assert.equal(schema.properties[field].type, 'string', field);
        assert.equal(schema.properties[field].minLength, 1, field);
        assert.equal(schema.properties[field].maxLength, max, field);
      }
      const examples = Object.values(body.content['application/json'].examples ?? {}).map((example: any) => example.value);
      const example = body.content['application/json'].example;
      assert.ok(
        [...examples, example].some((value) => JSON.stringify(value) === JSON.stringify(SEED_PAYLOAD)),
        'the seed example is documented',
      );
    });

    it('documented string patterns are plain ECMA-262 (no u flag needed) and accept their own examples', () => {
      const schema = jsonSchema(doc.paths['/api/warranties'].post.requestBody);
      for (const [field, property] of Object.entries<any>(schema.properties)) {
        if (!property.pattern) continue;
        const re = new RegExp(property.pattern); // how Swagger UI and most generated clients compile it
        assert.ok(
          re.test(String(property.example)),
          `${field}: /${property.pattern}/ rejects its example ${JSON.stringify(property.example)}`,
        );
        assert.ok(re.test(String((SEED_PAYLOAD as Record<string, unknown>)[field])), `${field}: rejects the seed value`);
      }
    });

    it('POST responses: 201 and 200 with { warranties: [Warranty] }', () => {
      for (const status of ['201', '200']) {
        const schema = jsonSchema(doc.paths['/api/warranties'].post.responses[status]);
        assert.ok(schema, `POST ${status} documented`);
        assert.equal(schema.properties.warranties.type, 'array');
        assertWarrantySchema(resolve(schema.properties.warranties.items));
      }
    });

    it('GET list: 200 page { warranties, next_cursor (nullable) } and its five query parameters', () => {
      const operation = doc.paths['/api/warranties'].get;
      const schema = jsonSchema(operation.responses['200']);
      assertWarrantySchema(resolve(schema.properties.warranties.items));
      assert.equal(schema.properties.next_cursor.nullable, true);
      const parameters = Object.fromEntries(operation.parameters.filter((p: any) => p.in === 'query').map((p: any) => [p.name, p]));
      assert.deepEqual(Object.keys(parameters).sort(), ['cursor', 'item_type', 'limit', 'sku', 'store_uuid']);
      for (const parameter of Object.values<any>(parameters)) assert.notEqual(parameter.required, true, parameter.name);
      assert.equal(parameters.limit.schema.minimum, 1);
      assert.equal(parameters.limit.schema.maximum, 1000);
      assert.equal(parameters.limit.schema.default, 100);
    });

    it('GET by id: 200 Warranty, integer-like path parameter', () => {
      const operation = doc.paths['/api/warranties/{id}'].get;
      assertWarrantySchema(jsonSchema(operation.responses['200']));
      assert.ok(operation.parameters.some((p: any) => p.in === 'path' && p.name === 'id' && p.required === true));
    });

    for (const [path, method, statuses] of [
      ['/api/warranties', 'post', ['400', '413', '415', '422', '503']],
      ['/api/warranties', 'get', ['400', '503']],
      ['/api/warranties/{id}', 'get', ['400', '404', '503']],
    ] as const) {
      it(`${method.toUpperCase()} ${path} documents its errors ${statuses.join(', ')} with the error schema and an example`, () => {
        const responses = doc.paths[path][method].responses;
        for (const status of statuses) {
          const response = responses[status];
          assert.ok(response, `${status} documented`);
          assert.ok(response.description, `${status} described`);
          const schema = jsonSchema(response);
          assert.deepEqual(Object.keys(schema.properties).sort(), ['code', 'details', 'error', 'message', 'statusCode'], status);
          assert.deepEqual(
            [...(schema.required ?? [])].sort(),
            ['code', 'details', 'error', 'message', 'statusCode'],
            `${status}: all required`,
          );
          const examples = Object.values<any>(response.content['application/json'].examples ?? {});
          assert.ok(examples.length > 0, `${status} has examples`);
          for (const { value } of examples) {
            assert.equal(value.statusCode, Number(status), `${status} example`);
            assert.equal(typeof value.code, 'string');
            assert.ok(Array.isArray(value.details), `${status} example has details`);
          }
        }
      });
    }

    it('the documented 400 example is what the service really answers for that input', async () => {
      const example = doc.paths['/api/warranties'].post.responses['400'].content['application/json'].examples.fields.value;
      const fields = example.details.map((d: any) => d.field);
      assert.ok(fields.includes('item_cost'));
      const reply = await post(app.url, { ...SEED_PAYLOAD, item_cost: 1.234, color: 'red' });
      assertError(reply, 400, example.code, fields);
    });
  });

  describe('database unreachable at a closed port (the app starts anyway)', () => {
    let down: TestApp;

    before(async () => {
      const databaseUrl = withPort(await createDatabase(), await freePort());
      down = await startApp(serviceEnv(databaseUrl, undefined, { DB_ACQUIRE_TIMEOUT_MS: '300' }));
    });

    after(() => closeWithin(down));

    it('POST → 503 SERVICE_UNAVAILABLE with Retry-After, within 2 s', async () => {
      const { result, ms } = await timed(() => post(down.url, SEED_PAYLOAD, {}, 10_000));
      assertUnavailable(result);
      assert.ok(ms < 2000, `${ms} ms`);
    });

    it('GET list and GET by id → 503 within 2 s', async () => {
      for (const path of ['/api/warranties', '/api/warranties?store_uuid=x', '/api/warranties/1']) {
        const { result, ms } = await timed(() => send(down.url, path, { timeoutMs: 10_000 }));
        assertUnavailable(result);
        assert.ok(ms < 2000, `${path}: ${ms} ms`);
      }
    });

    it('no key or a malformed one → 401 without the database; a key not yet verified → 503 (its check needs the database)', async () => {
      assertError(await post(down.url, { ...SEED_PAYLOAD, item_cost: -1 }, { authorization: '' }), 401, 'UNAUTHORIZED');
      assertError(await post(down.url, SEED_PAYLOAD, { authorization: 'Bearer not-a-key' }), 401, 'UNAUTHORIZED');
      assertUnavailable(await post(down.url, { ...SEED_PAYLOAD, item_cost: -1 }, {}, 10_000));
    });

    it('GET /health/ready → 503 JSON within 2 s; /health/live stays 200', async () => {
      const { result, ms } = await timed(() => send(down.url, '/health/ready', { timeoutMs: 10_000 }));
      assert.equal(result.status, 503, result.text);
      assert.match(result.headers.get('content-type') ?? '', /^application\/json/);
      assertNoLeak(result.text);
      assert.ok(ms < 2000, `${ms} ms`);
      assert.equal((await send(down.url, '/health/live')).status, 200);
    });

    it('the readiness 503 says which check failed (database)', async () => {
      const result = await send(down.url, '/health/ready', { timeoutMs: 10_000 });
      assert.equal(result.status, 503);
      assert.match(result.text, /database/);
    });
  });

  describe('database pool exhausted (DB_POOL_SIZE=1)', () => {
    let busy: TestApp;
    let locker: pg.Client;
    const item = { ...SEED_PAYLOAD, store_uuid: 'pool-store', item_sku: 'pool-sku' };

    before(async () => {
      const databaseUrl = await createDatabase();
      busy = await startApp(
        serviceEnv(databaseUrl, undefined, {
          DB_POOL_SIZE: '1',
          DB_ACQUIRE_TIMEOUT_MS: '300',
          DB_STATEMENT_TIMEOUT_MS: '30000',
          ARCHIVE_SWEEP_INTERVAL_MS: '3600000',
        }),
      );
      locker = await sqlClient(databaseUrl);
      assert.equal((await post(busy.url, item)).status, 201);
    });

    after(async () => {
      await locker?.query('ROLLBACK').catch(() => undefined);
      await locker?.end();
      await closeWithin(busy);
    });

    it('while the only connection waits on a row lock, other requests get 503 within 2 s; then everything completes', async () => {
      await locker.query('BEGIN');
      await locker.query(`SELECT id FROM item WHERE sku = 'pool-sku' FOR UPDATE`);
      let blockedReply: Reply | undefined;
      // A changed item needs the row lock (an unchanged re-send would not wait: see the next test).
      const blocked = post(busy.url, { ...item, item_title: 'Retitled while locked' }, {}, 30_000).then((reply) => (blockedReply = reply));
      try {
        const waiting = await eventually(async () => (await lockWaiters(locker)) > 0, 5000);
        assert.ok(waiting, 'the first POST is waiting for the row lock');
        assert.equal(blockedReply, undefined, 'the first POST is still in flight');

        for (const act of [
          () => send(busy.url, '/api/warranties', { timeoutMs: 10_000 }),
          () => send(busy.url, '/api/warranties/1', { timeoutMs: 10_000 }),
          () => post(busy.url, { ...item, item_sku: 'pool-other' }, {}, 10_000),
        ]) {
          const { result, ms } = await timed(act);
          assertUnavailable(result);
          assert.ok(ms < 2000, `${ms} ms`);
        }
        const ready = await timed(() => sendWithin(busy.url, '/health/ready', 10_000));
        assert.ok(ready.result.status === 200 || ready.result.status === 503, `ready: ${ready.result.status}`);
        assert.ok(ready.ms < 2000, `ready took ${ready.ms} ms`);
      } finally {
        await locker.query('COMMIT');
      }
      await blocked;
      assert.equal(blockedReply!.status, 200, blockedReply!.text);
      assert.equal(blockedReply!.body.warranties.length, 2);
      const after = await send(busy.url, '/api/warranties?store_uuid=pool-store');
      assert.equal(after.status, 200);
      assert.equal(after.body.warranties.length, 2);
      const { rows } = await locker.query(`SELECT count(*)::int AS n FROM item WHERE sku = 'pool-other'`);
      assert.equal(rows[0].n, 0, 'the refused POST wrote nothing');
    });

    it('an unchanged re-send does not wait for the item row lock (answered 200 from what is stored)', async () => {
      const before = await post(busy.url, item);
      assert.equal(before.status, 200, before.text);
      await locker.query('BEGIN');
      await locker.query(`SELECT id FROM item WHERE sku = 'pool-sku' FOR UPDATE`);
      try {
        const { result, ms } = await timed(() => post(busy.url, item, {}, 10_000));
        assert.equal(result.status, 200, result.text);
        // `before` put the title back (updated, after the test above retitled it); this one changes nothing.
        assert.deepEqual(result.body.warranties, before.body.warranties, 'the same plans, ids and timestamps');
        assert.equal(result.body.change, 'unchanged');
        assert.ok(ms < 1000, `an unchanged re-send took ${Math.round(ms)} ms while another transaction held the item's row lock`);
        const { rows } = await locker.query(`SELECT count(*)::int AS n FROM archive_record WHERE document->>'request_id' = $1`, [
          result.headers.get('x-request-id'),
        ]);
        assert.equal(rows[0].n, 1, 'its archive record was written');
      } finally {
        await locker.query('COMMIT');
      }
    });
  });

  describe('database lost after start-up', () => {
    it('connections refused (proxy down): 503 within 2 s, readiness 503; back up: 200 again', async () => {
      const databaseUrl = await createDatabase();
      const proxy = new TcpProxy(Number(new URL(databaseUrl).port));
      const proxied = await startApp(
        serviceEnv(withPort(databaseUrl, await proxy.start()), undefined, { DB_ACQUIRE_TIMEOUT_MS: '500', SHUTDOWN_DRAIN_MS: '1000' }),
      );
      try {
        assert.equal((await post(proxied.url, SEED_PAYLOAD)).status, 201);
        assert.equal((await send(proxied.url, '/health/ready')).status, 200);

        proxy.mode = 'down';
        proxy.cut();
        for (const act of [
          () => post(proxied.url, SEED_PAYLOAD, {}, 10_000),
          () => send(proxied.url, '/api/warranties', { timeoutMs: 10_000 }),
          () => send(proxied.url, '/api/warranties/1', { timeoutMs: 10_000 }),
        ]) {
          const { result, ms } = await timed(act);
          assertUnavailable(result);
          assert.ok(ms < 2000, `${ms} ms`);
        }
        // The key was verified before the outage and is cached: input errors still need no database.
        assertError(await post(proxied.url, { ...SEED_PAYLOAD, item_cost: -1 }), 400, 'VALIDATION_FAILED', ['item_cost']);
        assertError(await post(proxied.url, SEED_PAYLOAD, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
        assertError(await post(proxied.url, { ...SEED_PAYLOAD, item_type: 'spaceship' }), 422, 'ITEM_NOT_ELIGIBLE');
        const ready = await timed(() => send(proxied.url, '/health/ready', { timeoutMs: 10_000 }));
        assert.equal(ready.result.status, 503);
        assert.ok(ready.ms < 2000, `${ready.ms} ms`);
        // Readiness is public: it says which check failed, with a generic reason; details go to the log (issue 8, item 8).
        assert.equal(ready.result.body.error?.database?.status, 'down', ready.result.text);
        assertNoLeak(ready.result.text);
        assert.doesNotMatch(ready.result.text, /ECONN|127\.0\.0\.1/, `no address or socket error in readiness: ${ready.result.text}`);

        proxy.mode = 'up';
        const recovered = await eventually(async () => (await send(proxied.url, '/health/ready')).status === 200, 10_000);
        assert.ok(recovered, 'ready again once the database is back');
        const again = await post(proxied.url, SEED_PAYLOAD);
        assert.equal(again.status, 200, again.text);
      } finally {
        proxy.mode = 'down';
        await proxy.stop();
        // Bounded, so that a regression of the pooled-client leak (see the next test) cannot hang this one.
        await closeWithin(proxied, 1000);
      }
    });

    it('connection blips during POSTs do not eat pool capacity, and the app still closes promptly', async () => {
      const databaseUrl = await createDatabase();
      const proxy = new TcpProxy(Number(new URL(databaseUrl).port));
      const proxied = await startApp(
        serviceEnv(withPort(databaseUrl, await proxy.start()), undefined, {
          DB_POOL_SIZE: '2',
          DB_ACQUIRE_TIMEOUT_MS: '500',
          DB_STATEMENT_TIMEOUT_MS: '30000',
          ARCHIVE_SWEEP_INTERVAL_MS: '3600000',
          SHUTDOWN_DRAIN_MS: '500',
        }),
      );
      const locker = await sqlClient(databaseUrl);
      const item = { ...SEED_PAYLOAD, store_uuid: 'blip-store', item_sku: 'blip-sku' };
      try {
        assert.equal((await post(proxied.url, item)).status, 201);
        for (let round = 0; round < 3; round++) {
          assert.equal((await post(proxied.url, item)).status, 200, `round ${round}: before the blip`);
          proxy.mode = 'down';
          proxy.cut();
          for (let i = 0; i < 2; i++) assertUnavailable(await post(proxied.url, item, {}, 10_000));
          proxy.mode = 'up';
          assert.ok(
            await eventually(async () => (await send(proxied.url, '/health/ready')).status === 200, 5000),
            `round ${round}: ready again`,
          );
        }
        // Capacity: with one of the two connections busy (waiting on a row lock), the other must still serve.
        await locker.query('BEGIN');
        await locker.query(`SELECT id FROM item WHERE sku = 'blip-sku' FOR UPDATE`);
        // A changed item (an unchanged re-send takes no lock and would not wait).
        const blocked = post(proxied.url, { ...item, item_title: 'Retitled while locked' }, {}, 30_000);
        // Watched from another session: inside the locker's transaction, pg_stat_activity is one frozen snapshot.
        const watcher = await sqlClient(databaseUrl);
        try {
          const waiting = await eventually(async () => (await lockWaiters(watcher)) > 0, 5000);
          assert.ok(waiting, 'the POST is waiting on the row lock, holding one of the two connections');
          const list = await send(proxied.url, '/api/warranties', { timeoutMs: 10_000 });
          assert.equal(list.status, 200, `the second pooled connection is gone: ${list.text}`);
        } finally {
          await locker.query('COMMIT');
          await watcher.end();
        }
        assert.equal((await blocked).status, 200);
      } finally {
        await locker.end();
        proxy.mode = 'down';
        await proxy.stop();
        const closing = await timed(() => closeWithin(proxied, 6000));
        assert.ok(closing.ms < 5000, `app.close() took ${Math.round(closing.ms)} ms`);
      }
    });

    it('network partition (bytes silently dropped): requests and readiness still answer 503 within a bounded time', async () => {
      const databaseUrl = await createDatabase();
      const proxy = new TcpProxy(Number(new URL(databaseUrl).port));
      const proxied = await startApp(
        serviceEnv(withPort(databaseUrl, await proxy.start()), undefined, {
          DB_ACQUIRE_TIMEOUT_MS: '500',
          DB_STATEMENT_TIMEOUT_MS: '1000',
          ARCHIVE_SWEEP_INTERVAL_MS: '3600000',
        }),
      );
      try {
        assert.equal((await post(proxied.url, SEED_PAYLOAD)).status, 201); // leaves an idle pooled connection
        await sleep(300); // the archive listener's own statements finish
        proxy.mode = 'blackhole';
        const list = await timed(() => sendWithin(proxied.url, '/api/warranties', 8000));
        assert.equal(list.result.status, 503, list.result.text);
        assert.ok(list.ms < 5000, `${list.ms} ms`);
        const ready = await timed(() => sendWithin(proxied.url, '/health/ready', 8000));
        assert.equal(ready.result.status, 503, ready.result.text);
        assert.ok(ready.ms < 5000, `${ready.ms} ms`);
      } finally {
        proxy.mode = 'down';
        await proxy.stop(); // fails the stuck queries, so the app can close
        await closeWithin(proxied);
      }
    });

    describe('the database is dropped under the running app', () => {
      let dropped: TestApp;

      before(async () => {
        const databaseUrl = await createDatabase();
        dropped = await startApp(serviceEnv(databaseUrl, undefined, { DB_ACQUIRE_TIMEOUT_MS: '500' }));
        assert.equal((await post(dropped.url, SEED_PAYLOAD)).status, 201);
        assert.equal((await send(dropped.url, '/health/ready')).status, 200);
        const admin = await sqlClient(process.env.TEST_DATABASE_URL!);
        try {
          await admin.query(`DROP DATABASE "${new URL(databaseUrl).pathname.slice(1)}" WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      });

      after(() => closeWithin(dropped, 3000));

      it('GET /health/ready → 503 within 2 s', async () => {
        const { result, ms } = await timed(() => send(dropped.url, '/health/ready', { timeoutMs: 10_000 }));
        assert.equal(result.status, 503, result.text);
        assertNoLeak(result.text);
        assert.ok(ms < 2000, `${ms} ms`);
      });

      it('POST and GET → 503 SERVICE_UNAVAILABLE (not 500) within 2 s', async () => {
        for (const act of [
          () => post(dropped.url, SEED_PAYLOAD, {}, 10_000),
          () => send(dropped.url, '/api/warranties', { timeoutMs: 10_000 }),
        ]) {
          const { result, ms } = await timed(act);
          assertUnavailable(result);
          assert.ok(ms < 2000, `${ms} ms`);
        }
      });
    });
  });
});
