/**
 * The published OpenAPI document as a client generator and a spec-driven validator read it
 * (issue 9, items 1–5 and 12–13; issue 16): docs/openapi.json is what /docs-json serves, Ajv against
 * valid and invalid amounts and against real answers, integer types, error codes, item types from the
 * pricing table, no pre-filled GET filters, operationIds, headers, 503 on every keyed operation, the
 * batch result union, version and licence, GET /api/pricing, GET /, security headers and CORS.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ValidateFunction } from 'ajv';
import { freePort } from '../../src/common/free-port.js';
import { assertError } from '../support/api-assertions.js';
import { post, send } from '../../harness/http-client.js';
import { COMMITTED_DOCUMENT, openApiDocumentWithoutDatabase, openApiJson } from '../support/dump-openapi.js';
import { schemaValidator } from '../support/openapi-validator.js';
import { withPort } from '../support/tcp-proxy.js';
import { createDatabase, eventually, SEED_PAYLOAD, serviceEnv, startApp, type TestApp } from '../support/test-env.js';
import { ERROR_CODES } from '../../src/error-codes.js';
import { SHIPPED_PRICING } from '../../src/pricing/pricing-rules.js';
import { pricingTableView } from '../../src/pricing/pricing-table.view.js';

const VALID_COSTS = [1234.56, 4999.99, 19.99, 0.01, 1000000, 150, 0.1, 0.29, 1.15, 8.2, 99999.99, 999999.99];
const INVALID_COSTS: unknown[] = [0, -1, -0.01, 1000000.01, 2e6, '19.99', null, true];
const PATH_ID = { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };
const OPERATION_IDS = {
  'GET /': 'getServiceIndex',
  'POST /api/warranties': 'submitWarranty',
  'POST /api/warranties/batch': 'submitWarrantyBatch',
  'GET /api/warranties': 'listWarranties',
  'GET /api/warranties/{id}': 'getWarranty',
  'GET /api/pricing': 'getPricing',
  'POST /api/pricing/quote': 'quotePlans',
  'POST /api/pricing/versions': 'publishPricingVersion',
  'GET /api/pricing/versions': 'listPricingVersions',
  'DELETE /api/pricing/versions/{version}': 'withdrawPricingVersion',
  'GET /api/changes': 'listChanges',
  'GET /health/live': 'getLiveness',
  'GET /health/ready': 'getReadiness',
  'GET /metrics': 'getMetrics',
};

const ROOT = new URL('../../../', import.meta.url);
const REGENERATE = 'run `npm run openapi:write` and commit docs/openapi.json';

const operations = (doc: any): [string, any][] =>
  Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    Object.entries<any>(item).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as [string, any]),
  );

/** A response as written, or the shared one its `$ref` names. */
const resolveResponse = (doc: any, response: any): any =>
  response?.$ref ? doc.components.responses[response.$ref.split('/').pop()] : response;

describe('the published OpenAPI document (/docs-json) and what clients see', () => {
  let app: TestApp;
  let doc: any;
  let validator: (ref: string) => ValidateFunction;

  before(async () => {
    app = await startApp(serviceEnv(await createDatabase()));
    const reply = await send(app.url, '/docs-json');
    assert.equal(reply.status, 200);
    doc = reply.body;
    validator = schemaValidator(doc);
  });
  after(() => app?.close());

  it('is the document npm run lint:openapi lints and openapi:write writes (built without a database), byte for byte', async () => {
    assert.equal(openApiJson(await openApiDocumentWithoutDatabase()), openApiJson(doc));
  });

  it('docs/openapi.json, committed, is exactly what /docs-json serves', () => {
    assert.ok(existsSync(COMMITTED_DOCUMENT), `docs/openapi.json is missing: ${REGENERATE}`);
    const committed = readFileSync(COMMITTED_DOCUMENT, 'utf8');
    // Content first (the diff names what changed), then the bytes (key order, indentation, final newline).
    assert.deepStrictEqual(
      JSON.parse(committed),
      doc,
      `docs/openapi.json differs from what /docs-json serves (+ committed, - served): ${REGENERATE}`,
    );
    assert.equal(committed, openApiJson(doc), `docs/openapi.json has the content of /docs-json but not its layout: ${REGENERATE}`);
  });

  it('info: the version is package.json’s; the licence is stated (proprietary: package.json UNLICENSED, LICENSE)', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8'));
    assert.equal(doc.info.version, pkg.version);
    assert.equal(pkg.license, 'UNLICENSED');
    assert.match(doc.info.license.name, /all rights reserved/i);
    assert.match(readFileSync(new URL('LICENSE', ROOT), 'utf8'), /All rights reserved/);
  });

  describe('1. item_cost: "at most two decimals" without a float-unsafe multipleOf', () => {
    it('no schema anywhere uses multipleOf; money fields carry x-decimal-places: 2 instead', () => {
      assert.ok(!JSON.stringify(doc).includes('multipleOf'));
      const cost = doc.components.schemas.CreateWarrantyDto.properties.item_cost;
      assert.equal(cost['x-decimal-places'], 2);
      assert.match(cost.description, /at most 2 decimal places/);
    });

    it('Ajv accepts every valid cost, with the rest of the seed payload', () => {
      const validate = validator('CreateWarrantyDto');
      for (const item_cost of VALID_COSTS) {
        assert.ok(validate({ ...SEED_PAYLOAD, item_cost }), `${item_cost}: ${JSON.stringify(validate.errors)}`);
      }
    });

    it('Ajv rejects costs out of range or not numbers', () => {
      const validate = validator('CreateWarrantyDto');
      for (const item_cost of INVALID_COSTS) assert.equal(validate({ ...SEED_PAYLOAD, item_cost }), false, JSON.stringify(item_cost));
    });

    it('the service agrees on the valid costs (none gets a 400), and rejects 3 decimals, which the document states in words only', async () => {
      for (const item_cost of VALID_COSTS) {
        const reply = await post(app.url, { ...SEED_PAYLOAD, item_sku: `cost-${item_cost}`, item_cost });
        assert.notEqual(reply.status, 400, `${item_cost}: ${reply.text}`);
      }
      assertError(await post(app.url, { ...SEED_PAYLOAD, item_cost: 19.999 }), 400, 'VALIDATION_FAILED', ['item_cost']);
    });
  });

  describe('2. integers are integers; every error code is listed', () => {
    it('ids, durations, statusCode and limit are integer; the path id is an int64 integer', () => {
      const warranty = doc.components.schemas.WarrantyView.properties;
      for (const key of ['id', 'store_id']) assert.deepEqual([warranty[key].type, warranty[key].format], ['integer', 'int64'], key);
      assert.equal(warranty.warranty_duration_months.type, 'integer');
      assert.equal(doc.components.schemas.ErrorResponseView.properties.statusCode.type, 'integer');
      assert.equal(doc.components.schemas.PlanRuleView.properties.duration_months.type, 'integer');
      const limit = doc.paths['/api/warranties'].get.parameters.find((p: any) => p.name === 'limit');
      assert.equal(limit.schema.type, 'integer');
      const id = doc.paths['/api/warranties/{id}'].get.parameters.find((p: any) => p.name === 'id');
      assert.deepEqual({ in: id.in, required: id.required, schema: id.schema }, { in: 'path', required: true, schema: PATH_ID });
    });

    it('code is an enum of every code the service sends', () => {
      const code = doc.components.schemas.ErrorResponseView.properties.code;
      const ref = code.$ref ?? code.allOf?.[0]?.$ref;
      const values = code.enum ?? doc.components.schemas[ref.split('/').pop()].enum;
      assert.deepEqual([...values].sort(), [...ERROR_CODES].sort());
    });
  });

  describe('3. pricing: GET /api/pricing, item types from the same table, which rule a 422 broke', () => {
    it('GET /api/pricing answers the active table; Ajv accepts it against the documented schema', async () => {
      const reply = await send(app.url, '/api/pricing');
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body, pricingTableView({ table: SHIPPED_PRICING, effectiveFrom: 0, storeUuids: [], sequence: 1 }, undefined));
      const furniture = reply.body.item_types.find((t: any) => t.item_type === 'furniture');
      assert.deepEqual(furniture, {
        item_type: 'furniture',
        min_cost: 50,
        max_cost: 10000,
        plans: [
          { duration_months: 12, base: 5, rate: 0.1 },
          { duration_months: 24, base: 6, rate: 0.14 },
        ],
      });
      const schema = doc.paths['/api/pricing'].get.responses['200'].content['application/json'].schema.$ref;
      const validate = validator(schema);
      assert.ok(validate(reply.body), JSON.stringify(validate.errors));
    });

    it('item_type is documented with the pricing table’s types as an open list (x-extensible-enum, no enum)', async () => {
      const types = (await send(app.url, '/api/pricing')).body.item_types.map((t: any) => t.item_type);
      const body = doc.components.schemas.CreateWarrantyDto.properties.item_type;
      const filter = doc.paths['/api/warranties'].get.parameters.find((p: any) => p.name === 'item_type');
      for (const schema of [body, filter.schema, doc.components.schemas.WarrantyView.properties.item_type]) {
        assert.deepEqual(schema['x-extensible-enum'], types);
        assert.equal(schema.enum, undefined, 'an enum would make validators and generated clients refuse new types');
      }
      for (const type of types) assert.ok(body.description.includes(type), type);
    });

    it('an unknown type is still well-formed: Ajv accepts it and the service answers 422, not 400', async () => {
      const payload = { ...SEED_PAYLOAD, item_type: 'spaceships' };
      assert.ok(validator('CreateWarrantyDto')(payload));
      assertError(await post(app.url, payload), 422, 'ITEM_NOT_ELIGIBLE');
    });

    it('the 422 examples name the rule: item_type listing the accepted types, item_cost giving the range', () => {
      const examples = doc.paths['/api/warranties'].post.responses['422'].content['application/json'].examples;
      assert.deepEqual(examples.unknownType.value.details, [
        { field: 'item_type', message: `is not a priced item type; accepted: ${Object.keys(SHIPPED_PRICING.itemTypes).sort().join(', ')}` },
      ]);
      assert.deepEqual(examples.costOutOfRange.value.details, [
        { field: 'item_cost', message: 'must be from 50 to 10000 for item_type "furniture"' },
      ]);
    });
  });

  describe('4. Swagger UI does not pre-fill GET filters', () => {
    it('query and path parameters carry no example (parameter or schema), only a description', () => {
      for (const [name, operation] of operations(doc)) {
        for (const parameter of operation.parameters ?? []) {
          if (parameter.$ref) continue;
          assert.equal(parameter.example, undefined, `${name} ${parameter.name}`);
          assert.equal(parameter.examples, undefined, `${name} ${parameter.name}`);
          assert.equal(parameter.schema?.example, undefined, `${name} ${parameter.name}`);
        }
      }
      for (const name of ['sku', 'item_type', 'store_uuid']) {
        const parameter = doc.paths['/api/warranties'].get.parameters.find((p: any) => p.name === name);
        assert.match(parameter.description, /Example: `[^`]+`/, name);
        assert.equal(parameter.schema.default, undefined, name);
      }
    });
  });

  describe('5. what a client generator needs', () => {
    it('every operation has the intended operationId, tags that are described, a 500, X-Request-Id and traceparent', () => {
      const found = Object.fromEntries(operations(doc).map(([name, operation]) => [name, operation.operationId]));
      assert.deepEqual(found, OPERATION_IDS);
      const described = new Map(doc.tags.map((tag: any) => [tag.name, tag.description]));
      for (const [name, operation] of operations(doc)) {
        for (const tag of operation.tags) assert.ok(described.get(tag), `${name}: tag ${tag} has a description`);
        assert.ok(operation.responses['500'], `${name} documents 500`);
        assert.ok(
          operation.parameters.some((p: any) => p.$ref === '#/components/parameters/RequestId'),
          `${name} takes X-Request-Id`,
        );
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          const headers = response.$ref ? doc.components.responses[response.$ref.split('/').pop()].headers : response.headers;
          assert.ok(headers?.['X-Request-Id'], `${name} ${status} documents X-Request-Id`);
          assert.ok(headers?.traceparent, `${name} ${status} documents traceparent (sent when tracing is on)`);
        }
      }
      assert.deepEqual(doc.servers, [{ url: '/', description: 'The instance serving this document' }]);
    });

    it('every /api operation documents 503 SERVICE_UNAVAILABLE with Retry-After (its key check reads the database), the POSTs OUTCOME_UNKNOWN too; /health/live none', () => {
      const keyed = operations(doc).filter(([name]) => name.split(' ')[1].startsWith('/api/'));
      assert.ok(keyed.length >= 5, keyed.map(([name]) => name).join(', '));
      for (const [name, operation] of keyed) {
        const unavailable = resolveResponse(doc, operation.responses['503']);
        assert.ok(unavailable, `${name} documents 503`);
        assert.ok(unavailable.headers['Retry-After'], `${name}: Retry-After`);
        const examples = Object.values<any>(unavailable.content['application/json'].examples);
        // A write whose COMMIT reply was lost, when the database cannot be asked what became of it.
        const writes = name.startsWith('POST /api/warranties');
        assert.deepEqual(
          examples.map((example) => example.value.code),
          writes ? ['SERVICE_UNAVAILABLE', 'OUTCOME_UNKNOWN'] : ['SERVICE_UNAVAILABLE'],
          name,
        );
      }
      assert.equal(doc.paths['/health/live'].get.responses['503'], undefined);
    });

    it('every /api operation documents 429 RATE_LIMITED with Retry-After, and RateLimit-* on every answer decided after the key', () => {
      const api = operations(doc).filter(([name]) => name.split(' ')[1].startsWith('/api/'));
      const rateLimitHeaders = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];
      for (const [name, operation] of api) {
        const limited = resolveResponse(doc, operation.responses['429']);
        assert.ok(limited, `${name} documents 429`);
        for (const header of ['Retry-After', ...rateLimitHeaders]) assert.ok(limited.headers[header], `${name} 429: ${header}`);
        const examples = Object.values<any>(limited.content['application/json'].examples);
        assert.deepEqual(
          examples.map((example) => example.value.code),
          ['RATE_LIMITED'],
          name,
        );
        // 401 is decided before the budget; a 503 can come after it (then it carries RateLimit-*); a 500 is not planned.
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          if (['401', '500'].includes(status)) continue;
          const headers = resolveResponse(doc, response).headers;
          for (const header of rateLimitHeaders) assert.ok(headers[header], `${name} ${status}: ${header}`);
        }
      }
      for (const [name, operation] of operations(doc).filter(([name]) => !name.split(' ')[1].startsWith('/api/'))) {
        assert.equal(operation.responses['429'], undefined, `${name}: not rate limited`);
      }
      assert.ok(doc.components.schemas.ErrorCode.enum.includes('RATE_LIMITED'));
    });

    it('batch results are a union told apart by status: warranties for 201/200, error for 400/422', async () => {
      const items = doc.components.schemas.BatchView.properties.results.items;
      assert.deepEqual(items.oneOf, [
        { $ref: '#/components/schemas/BatchSavedResultView' },
        { $ref: '#/components/schemas/BatchRefusedResultView' },
      ]);
      assert.equal(items.discriminator.propertyName, 'status');
      assert.deepEqual(items.discriminator.mapping, {
        '200': '#/components/schemas/BatchSavedResultView',
        '201': '#/components/schemas/BatchSavedResultView',
        '400': '#/components/schemas/BatchRefusedResultView',
        '422': '#/components/schemas/BatchRefusedResultView',
      });
      const saved = doc.components.schemas.BatchSavedResultView;
      const refused = doc.components.schemas.BatchRefusedResultView;
      assert.deepEqual(
        [saved.required, saved.properties.status.enum],
        [
          ['index', 'status', 'change', 'warranties'],
          [201, 200],
        ],
      );
      assert.deepEqual(
        [refused.required, refused.properties.status.enum],
        [
          ['index', 'status', 'error'],
          [400, 422],
        ],
      );

      const reply = await send(app.url, '/api/warranties/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          store_uuid: SEED_PAYLOAD.store_uuid,
          items: [
            { item_type: 'furniture', item_sku: 'batch-union-1', item_cost: 150, item_title: 'Sofa' },
            { item_type: 'furniture', item_sku: 'batch-union-2', item_cost: 'x', item_title: 'Sofa' },
            { item_type: 'spaceships', item_sku: 'batch-union-3', item_cost: 150, item_title: 'Rocket' },
          ],
        }),
      });
      assert.equal(reply.status, 200, reply.text);
      const [created, invalid] = reply.body.results;
      assert.deepEqual(
        reply.body.results.map((result: any) => result.status),
        [201, 400, 422],
      );
      const validate = validator(doc.paths['/api/warranties/batch'].post.responses['200'].content['application/json'].schema.$ref);
      assert.ok(validate(reply.body), JSON.stringify(validate.errors));
      // Each variant refuses the other's body: a saved status with an error, a refused one with plans.
      assert.equal(validate({ results: [{ ...invalid, status: 201 }] }), false, 'status 201 with an error');
      assert.equal(validate({ results: [{ ...created, status: 400 }] }), false, 'status 400 with warranties');
    });

    it('operations that take input document 400; GET error examples name no POST body field (unless also their parameter)', () => {
      const bodyFields = Object.keys(doc.components.schemas.CreateWarrantyDto.properties);
      for (const [name, operation] of operations(doc)) {
        if ((operation.parameters ?? []).some((p: any) => !p.$ref) || operation.requestBody) {
          assert.ok(operation.responses['400'], `${name} documents 400`);
        }
        if (!name.startsWith('GET ')) continue;
        // A body field's name is fine when the operation has a parameter of that name (store_uuid, a GET filter too).
        const own = new Set((operation.parameters ?? []).map((p: any) => p.name));
        for (const response of Object.values<any>(operation.responses)) {
          for (const example of Object.values<any>(response.content?.['application/json']?.examples ?? {})) {
            for (const detail of example.value.details ?? []) {
              assert.ok(!bodyFields.includes(detail.field) || own.has(detail.field), `${name}: ${detail.field}`);
            }
          }
        }
      }
    });

    it('real answers match their documented schemas (Ajv): POST 201/200/400/422, GET list, by id, 400, 404, the change feed', async () => {
      const check = async (label: string, operation: any, reply: { status: number; body: unknown }) => {
        const response = operation.responses[String(reply.status)];
        assert.ok(response, `${label}: status ${reply.status} is documented`);
        const ref = response.content['application/json'].schema.$ref;
        const validate = validator(ref);
        assert.ok(validate(reply.body), `${label}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(reply.body)}`);
      };
      const postOp = doc.paths['/api/warranties'].post;
      const payload = { ...SEED_PAYLOAD, item_sku: 'schema-check' };
      const created = await post(app.url, payload);
      await check('POST new', postOp, created);
      assert.equal(created.status, 201);
      await check('POST again', postOp, await post(app.url, payload));
      await check('POST invalid', postOp, await post(app.url, { ...payload, item_cost: 'x', color: 1 }));
      await check('POST ineligible', postOp, await post(app.url, { ...payload, item_cost: 10 }));
      await check('POST bad JSON', postOp, await post(app.url, '{"a":'));
      const listOp = doc.paths['/api/warranties'].get;
      await check('GET list', listOp, await send(app.url, '/api/warranties?limit=1'));
      await check('GET list 400', listOp, await send(app.url, '/api/warranties?limit=0&cursor=nope'));
      const byId = doc.paths['/api/warranties/{id}'].get;
      await check('GET id', byId, await send(app.url, `/api/warranties/${created.body.warranties[0].id}`));
      await check('GET id 404', byId, await send(app.url, '/api/warranties/999999999'));
      await check('GET id 400', byId, await send(app.url, '/api/warranties/abc'));
      await check('GET /', doc.paths['/'].get, await send(app.url, '/'));
      const changesOp = doc.paths['/api/changes'].get;
      // The feed hands out a change once no transaction older than it is still running: poll until it is there.
      let feed: { status: number; body: any } | undefined;
      await eventually(async () => {
        feed = await send(app.url, '/api/changes?store_uuid=' + payload.store_uuid);
        return feed.body?.changes?.some((entry: any) => entry.item_sku === 'schema-check');
      });
      await check('GET changes', changesOp, feed!);
      await check('GET changes 400', changesOp, await send(app.url, '/api/changes?cursor=nope&limit=0'));
    });
  });

  describe('12–13. GET /, security headers, CORS', () => {
    it('GET / points at the docs and readiness', async () => {
      const reply = await send(app.url, '/');
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body, {
        service: 'warranty-service',
        docs: '/docs',
        openapi: '/docs-json',
        health: '/health/ready',
        pricing: '/api/pricing',
      });
    });

    it('helmet headers on API and docs answers; the CSP lets Swagger UI run (no inline scripts needed)', async () => {
      for (const path of ['/api/pricing', '/docs', '/does-not-exist']) {
        const reply = await send(app.url, path);
        assert.equal(reply.headers.get('x-content-type-options'), 'nosniff', path);
        assert.equal(reply.headers.get('x-frame-options'), 'SAMEORIGIN', path);
        assert.ok(reply.headers.get('x-request-id'), path);
        const csp = reply.headers.get('content-security-policy') ?? '';
        assert.match(csp, /script-src 'self'(;|$)/, path);
        assert.doesNotMatch(csp, /upgrade-insecure-requests/, path);
      }
    });

    it('CORS is off by default: no Access-Control-* headers, a preflight is not answered as CORS', async () => {
      const origin = 'https://shop.example.com';
      const simple = await send(app.url, '/api/pricing', { headers: { origin } });
      assert.equal(simple.headers.get('access-control-allow-origin'), null);
      const preflight = await send(app.url, '/api/warranties', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    });
  });
});

describe('database unreachable: every /api operation answers the 503 it documents', () => {
  let app: TestApp;

  before(async () => {
    // A closed port: the app starts; its own key was never verified, so each request's key check needs the database.
    app = await startApp(serviceEnv(withPort(await createDatabase(), await freePort()), undefined, { DB_ACQUIRE_TIMEOUT_MS: '300' }));
  });
  after(() => app?.close());

  it('each keyed operation of /docs-json, called with its documented example, gets 503 SERVICE_UNAVAILABLE as documented', async () => {
    const doc = (await send(app.url, '/docs-json')).body;
    const validator = schemaValidator(doc);
    const keyed = operations(doc).filter(([name]) => name.split(' ')[1].startsWith('/api/'));
    for (const [name, operation] of keyed) {
      const [method, template] = name.split(' ');
      const body = Object.values<any>(operation.requestBody?.content['application/json'].examples ?? {})[0]?.value;
      const reply = await send(app.url, template.replace(/\{[^}]+\}/g, '1'), {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        timeoutMs: 10_000,
      });
      assertError(reply, 503, 'SERVICE_UNAVAILABLE');
      assert.equal(reply.headers.get('retry-after'), '1', name);
      const documented = resolveResponse(doc, operation.responses['503']);
      assert.ok(documented, `${name}: 503 is documented`);
      const validate = validator(documented.content['application/json'].schema.$ref);
      assert.ok(validate(reply.body), `${name}: ${JSON.stringify(validate.errors)}`);
    }
  });
});

describe('CORS_ORIGINS allow-list', () => {
  let app: TestApp;
  const allowed = 'https://shop.example.com';

  before(async () => {
    app = await startApp(serviceEnv(await createDatabase(), undefined, { CORS_ORIGINS: `${allowed}, http://localhost:5173` }));
  });
  after(() => app?.close());

  it('an allowed origin gets CORS headers (preflight too, with X-Request-Id and the rate limit headers exposed); another origin gets none', async () => {
    const preflight = await send(app.url, '/api/warranties', {
      method: 'OPTIONS',
      headers: { origin: allowed, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), allowed);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    const simple = await send(app.url, '/api/pricing', { headers: { origin: allowed } });
    assert.equal(simple.headers.get('access-control-allow-origin'), allowed);
    assert.match(simple.headers.get('access-control-expose-headers') ?? '', /X-Request-Id/);
    for (const name of ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) {
      assert.match(simple.headers.get('access-control-expose-headers') ?? '', new RegExp(name), 'a browser client can read the budget');
    }
    const other = await send(app.url, '/api/pricing', { headers: { origin: 'https://evil.example.net' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});
