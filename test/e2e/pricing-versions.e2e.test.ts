/**
 * Pricing versions through the admin API (real HTTP, real PostgreSQL): the seeded shipped version,
 * publishing (every 4xx), listing with states, withdrawing; GET /api/pricing with `next`; quotes.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { itemTypesView } from '../../src/pricing/pricing-table.view.js';
import { SHIPPED_PRICING } from '../../src/pricing/pricing-rules.js';
import { assertError, assertNothingWritten } from '../support/api-assertions.js';
import { bearer, post, send, type Reply } from '../../harness/http-client.js';
import { schemaValidator } from '../support/openapi-validator.js';
import { publish, quote, versionBody, withdraw } from '../support/pricing-support.js';
import { appWithDatabase, SEED_PAYLOAD } from '../support/test-env.js';

const FAR = '2099-01-01T00:00:00.000Z';

const plansOf = (reply: Reply) => reply.body.plans.map((plan: any) => [plan.warranty_duration_months, plan.warranty_price]);

describe('pricing versions: admin API', () => {
  const fixture = appWithDatabase();
  let storeKey: string;

  before(async () => {
    storeKey = await fixture.app.issueKey({ kind: 'store', storeUuid: 'store-a' });
  });

  it('the migration seeded the shipped table as the first default version, in force from the beginning', async () => {
    const list = await send(fixture.app.url, '/api/pricing/versions');
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.versions, [
      {
        version: '2026-11-01',
        effective_from: '1970-01-01T00:00:00.000Z',
        store_uuids: [],
        state: 'in_force',
        item_types: itemTypesView(SHIPPED_PRICING),
      },
    ]);
    const pricing = await send(fixture.app.url, '/api/pricing');
    assert.deepEqual(pricing.body, {
      version: '2026-11-01',
      effective_from: '1970-01-01T00:00:00.000Z',
      item_types: itemTypesView(SHIPPED_PRICING),
      next: null,
    });
  });

  it('a published version never changes: the database refuses any UPDATE of its rows', async () => {
    for (const statement of [
      `UPDATE pricing_version SET effective_from = now() WHERE version = '2026-11-01'`,
      `UPDATE pricing_item_type SET max_cost = 1`,
      `UPDATE pricing_plan SET base = 100`,
    ]) {
      await assert.rejects(fixture.sql.query(statement), /a published pricing version never changes/, statement);
    }
  });

  it('a store key gets 403 FORBIDDEN on every admin endpoint, no key 401; nothing written', async () => {
    await assertNothingWritten(fixture.sql, async () => {
      assertError(await publish(fixture.app.url, versionBody('by-store', { effective_from: FAR }), storeKey), 403, 'FORBIDDEN');
      // Refused before the body is looked at.
      assertError(await publish(fixture.app.url, { version: 'x' }, storeKey), 403, 'FORBIDDEN');
      assertError(await send(fixture.app.url, '/api/pricing/versions', { key: storeKey }), 403, 'FORBIDDEN');
      assertError(await withdraw(fixture.app.url, '2026-11-01', storeKey), 403, 'FORBIDDEN');
      assertError(await send(fixture.app.url, '/API/Pricing/Versions/', { key: storeKey }), 403, 'FORBIDDEN');
      assertError(await publish(fixture.app.url, versionBody('no-key'), null), 401, 'UNAUTHORIZED');
      assertError(await send(fixture.app.url, '/api/pricing/versions', { key: null }), 401, 'UNAUTHORIZED');
      // Express routes case-insensitively: every spelling of a path is behind the same rules.
      for (const path of ['/API/Pricing/Versions', '/Api/pricing', '/API/WARRANTIES']) {
        assertError(await send(fixture.app.url, path, { key: null }), 401, 'UNAUTHORIZED');
      }
    });
  });

  it('400 for the shape, naming each field by its path; nothing written', async () => {
    const cases: [string, unknown, string[]][] = [
      ['missing item_types and version', {}, ['item_types', 'version']],
      ['a bad version name', versionBody('2027 01 01'), ['version']],
      ['a version name over 32 characters', versionBody('v'.repeat(33)), ['version']],
      ['effective_from not an instant', versionBody('v1', { effective_from: 'tomorrow' }), ['effective_from']],
      ['effective_from without an offset', versionBody('v1', { effective_from: '2099-01-01T00:00:00' }), ['effective_from']],
      ['effective_from on a day that does not exist', versionBody('v1', { effective_from: '2099-02-30T00:00:00Z' }), ['effective_from']],
      ['store_uuids not an array', versionBody('v1', { store_uuids: 'store-a' }), ['store_uuids']],
      ['a bad store_uuid entry', versionBody('v1', { store_uuids: ['store-a', 'bad store'] }), ['store_uuids']],
      ['an empty item_types', versionBody('v1', { item_types: [] }), ['item_types']],
      ['an item type that is not an object', versionBody('v1', { item_types: [7] }), ['item_types[0]']],
      [
        'every wrong field of an item type and its plans',
        versionBody('v1', {
          item_types: [
            {
              item_type: 'Bad Type!',
              min_cost: '50',
              max_cost: 10000.001,
              colour: 'red',
              plans: [
                { duration_months: 1.5, base: -1, rate: 0.12345 },
                { duration_months: 12, base: 5, rate: 1.5 },
              ],
            },
            { item_type: 'phones', min_cost: 50, max_cost: 5000, plans: [] },
          ],
        }),
        [
          'item_types[0].item_type',
          'item_types[0].min_cost',
          'item_types[0].max_cost',
          'item_types[0].colour',
          'item_types[0].plans[0].duration_months',
          'item_types[0].plans[0].base',
          'item_types[0].plans[0].rate',
          'item_types[0].plans[1].rate',
          'item_types[1].plans',
        ],
      ],
      ['an unknown top-level field', versionBody('v1', { state: 'in_force' }), ['state']],
    ];
    await assertNothingWritten(fixture.sql, async () => {
      for (const [name, body, fields] of cases) {
        const reply = await publish(fixture.app.url, body);
        assert.equal(reply.status, 400, `${name}: ${reply.text}`);
        assertError(reply, 400, 'VALIDATION_FAILED', fields);
      }
      assertError(await publish(fixture.app.url, '{"version": '), 400, 'MALFORMED_JSON');
    });
  });

  it('422 INVALID_PRICING naming every broken rule; nothing written', async () => {
    const body = {
      version: 'broken',
      effective_from: new Date(Date.now() - 5 * 60_000).toISOString(),
      store_uuids: ['store-a', 'store-b', 'store-a'],
      item_types: [
        { item_type: 'furniture', min_cost: 50, max_cost: 10000, plans: [{ duration_months: 12, base: 5, rate: 0.1 }] },
        {
          item_type: 'furniture',
          min_cost: 100,
          max_cost: 100,
          plans: [
            { duration_months: 0, base: 5, rate: 0.1 },
            { duration_months: 121, base: 5, rate: 0.1 },
            { duration_months: 12, base: 5, rate: 0.1 },
            { duration_months: 12, base: 5, rate: 0.1 },
          ],
        },
        // 0.00 + 0.01 % of 1.00 rounds to 0.00 at min_cost: a price ≤ 0 in the range.
        { item_type: 'stickers', min_cost: 1, max_cost: 10, plans: [{ duration_months: 6, base: 0, rate: 0.0001 }] },
      ],
    };
    const reply = await assertNothingWritten(fixture.sql, () => publish(fixture.app.url, body));
    assertError(reply, 422, 'INVALID_PRICING');
    assert.deepEqual(
      reply.body.details.map((detail: any) => detail.field),
      [
        'effective_from',
        'store_uuids[2]',
        'item_types[1].item_type',
        'item_types[1].min_cost',
        'item_types[1].plans[0].duration_months',
        'item_types[1].plans[1].duration_months',
        'item_types[1].plans[3].duration_months',
        'item_types[2].plans[0]',
      ],
      reply.text,
    );
    assert.match(reply.body.details.find((d: any) => d.field === 'item_types[2].plans[0]').message, /above 0/);
    // Within the minute is fine (clocks differ, requests take time).
    const recent = await publish(
      fixture.app.url,
      versionBody('recent', { store_uuids: ['store-z'], effective_from: new Date(Date.now() - 30_000).toISOString() }),
    );
    assert.equal(recent.status, 201, recent.text);
  });

  it('409 VERSION_EXISTS for a name already published, whatever the body holds; nothing written', async () => {
    await assertNothingWritten(fixture.sql, async () => {
      assertError(await publish(fixture.app.url, versionBody('2026-11-01', { effective_from: FAR })), 409, 'VERSION_EXISTS', ['version']);
      const broken = versionBody('2026-11-01', { effective_from: '2000-01-01T00:00:00Z' });
      assertError(await publish(fixture.app.url, broken), 409, 'VERSION_EXISTS', ['version']);
    });
  });

  it('publish scheduled → 201 (state scheduled, `next` of GET /api/pricing), list by time, withdraw → 204, then 404', async () => {
    const created = await publish(fixture.app.url, versionBody('2099-01-01', { effective_from: '2099-01-01T01:00:00+01:00' }));
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body, {
      version: '2099-01-01',
      effective_from: FAR,
      store_uuids: [],
      state: 'scheduled',
      item_types: [{ item_type: 'furniture', min_cost: 50, max_cost: 10000, plans: [{ duration_months: 12, base: 7, rate: 0.1 }] }],
    });
    assert.deepEqual((await send(fixture.app.url, '/api/pricing')).body.next, { version: '2099-01-01', effective_from: FAR });
    // A store whose own table is in force is not replaced by a default version: no `next` for it.
    const own = await send(fixture.app.url, '/api/pricing?store_uuid=store-z');
    assert.equal(own.body.version, 'recent');
    assert.equal(own.body.next, null);
    const list = await send(fixture.app.url, '/api/pricing/versions');
    assert.deepEqual(
      list.body.versions.map((v: any) => [v.version, v.state]),
      [
        ['2026-11-01', 'in_force'],
        ['recent', 'in_force'],
        ['2099-01-01', 'scheduled'],
      ],
    );
    assert.equal((await withdraw(fixture.app.url, '2099-01-01')).status, 204);
    assert.equal((await send(fixture.app.url, '/api/pricing')).body.next, null);
    assertError(await withdraw(fixture.app.url, '2099-01-01'), 404, 'NOT_FOUND');
    // Withdrawn, the name is free again.
    assert.equal((await publish(fixture.app.url, versionBody('2099-01-01', { effective_from: FAR }))).status, 201);
  });

  it('DELETE: 409 VERSION_IN_FORCE once its time has come (or within its last second); 400 for a malformed name', async () => {
    await assertNothingWritten(fixture.sql, async () => {
      assertError(await withdraw(fixture.app.url, '2026-11-01'), 409, 'VERSION_IN_FORCE', ['version']);
      assertError(await withdraw(fixture.app.url, 'bad%20name'), 400, 'VALIDATION_FAILED', ['version']);
      assertError(await withdraw(fixture.app.url, 'v'.repeat(33)), 400, 'VALIDATION_FAILED', ['version']);
    });
    const soon = await publish(
      fixture.app.url,
      versionBody('soon', { store_uuids: ['store-s'], effective_from: new Date(Date.now() + 500).toISOString() }),
    );
    assert.equal(soon.status, 201, soon.text);
    assertError(await withdraw(fixture.app.url, 'soon'), 409, 'VERSION_IN_FORCE');
  });

  it('superseded: a default version replaced by a later one for every store', async () => {
    assert.equal((await publish(fixture.app.url, versionBody('now-default'))).status, 201);
    const states = Object.fromEntries(
      (await send(fixture.app.url, '/api/pricing/versions')).body.versions.map((v: any) => [v.version, v.state]),
    );
    assert.equal(states['2026-11-01'], 'superseded');
    assert.equal(states['now-default'], 'in_force');
    assert.equal(states.recent, 'in_force', 'store-z’s own table is still in force for it');
    assert.equal((await send(fixture.app.url, '/api/pricing')).body.version, 'now-default');
  });

  it('every answer matches the documented schema (Ajv); every new operation documents its errors', async () => {
    const doc = (await send(fixture.app.url, '/docs-json')).body;
    const validator = schemaValidator(doc);
    const check = (reply: Reply, path: string, method: string) => {
      const documented = doc.paths[path][method].responses[String(reply.status)];
      assert.ok(documented, `${method} ${path} does not document ${reply.status}`);
      const validate = validator(documented.content['application/json'].schema.$ref);
      assert.ok(validate(reply.body), `${method} ${path} ${reply.status}: ${JSON.stringify(validate.errors)}`);
    };
    const pricing = await send(fixture.app.url, '/api/pricing');
    assert.notEqual(pricing.body.next, null);
    check(pricing, '/api/pricing', 'get');
    check(await send(fixture.app.url, '/api/pricing?store_uuid=nobody'), '/api/pricing', 'get');
    check(await send(fixture.app.url, '/api/pricing/versions'), '/api/pricing/versions', 'get');
    check(
      await publish(fixture.app.url, versionBody('documented', { effective_from: FAR, store_uuids: ['store-q'] })),
      '/api/pricing/versions',
      'post',
    );
    check(await publish(fixture.app.url, versionBody('documented')), '/api/pricing/versions', 'post');
    check(await publish(fixture.app.url, versionBody('late', { effective_from: '2000-01-01T00:00:00Z' })), '/api/pricing/versions', 'post');
    check(await publish(fixture.app.url, {}), '/api/pricing/versions', 'post');
    check(await publish(fixture.app.url, versionBody('x'), storeKey), '/api/pricing/versions', 'post');
    check(await withdraw(fixture.app.url, 'nothing-here'), '/api/pricing/versions/{version}', 'delete');
    check(await withdraw(fixture.app.url, '2026-11-01'), '/api/pricing/versions/{version}', 'delete');
    check(await quote(fixture.app.url, { store_uuid: 'store-q', item_type: 'furniture', item_cost: 150 }), '/api/pricing/quote', 'post');
    check(await quote(fixture.app.url, { store_uuid: 'store-q', item_type: 'furniture', item_cost: 1 }), '/api/pricing/quote', 'post');
    const expected: Record<string, string[]> = {
      'get /api/pricing': ['200', '400', '401', '403', '500', '503'],
      'post /api/pricing/quote': ['200', '400', '401', '403', '413', '415', '422', '500', '503'],
      'post /api/pricing/versions': ['201', '400', '401', '403', '409', '413', '415', '422', '500', '503'],
      'get /api/pricing/versions': ['200', '401', '403', '500', '503'],
      'delete /api/pricing/versions/{version}': ['204', '400', '401', '403', '404', '409', '500', '503'],
    };
    for (const [operation, statuses] of Object.entries(expected)) {
      const [method, path] = operation.split(' ');
      assert.deepEqual(Object.keys(doc.paths[path][method].responses).sort(), statuses, operation);
    }
    // The document lists the shipped version's types as an open list; a type another version adds is still accepted.
    assert.deepEqual(
      doc.components.schemas.QuoteRequestDto.properties.item_type['x-extensible-enum'],
      Object.keys(SHIPPED_PRICING.itemTypes).sort(),
    );
    assert.equal(doc.components.schemas.QuoteRequestDto.properties.item_type.enum, undefined);
  });
});

describe('POST /api/pricing/quote', () => {
  const fixture = appWithDatabase();
  let storeKey: string;

  before(async () => {
    storeKey = await fixture.app.issueKey({ kind: 'store', storeUuid: SEED_PAYLOAD.store_uuid });
  });

  const seedQuote = { store_uuid: SEED_PAYLOAD.store_uuid, item_type: 'furniture', item_cost: 150 };

  it('prices the seed example (200) and writes and archives nothing', async () => {
    const reply = await assertNothingWritten(fixture.sql, () => quote(fixture.app.url, seedQuote));
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body, {
      pricing_version: '2026-11-01',
      plans: [
        { warranty_duration_months: 12, warranty_price: 20 },
        { warranty_duration_months: 24, warranty_price: 27 },
      ],
    });
  });

  it('the same field rules as a POST: trimmed and lower-cased type; 400 naming each bad or unknown field', async () => {
    const padded = await quote(fixture.app.url, { ...seedQuote, item_type: '  FURNITURE ', store_uuid: ` ${SEED_PAYLOAD.store_uuid} ` });
    assert.deepEqual(plansOf(padded), [
      [12, 20],
      [24, 27],
    ]);
    assertError(await quote(fixture.app.url, { ...seedQuote, item_cost: 1.234, item_sku: 'x' }), 400, 'VALIDATION_FAILED', [
      'item_cost',
      'item_sku',
    ]);
    assertError(await quote(fixture.app.url, { item_cost: '150' }), 400, 'VALIDATION_FAILED', ['item_cost', 'item_type', 'store_uuid']);
  });

  it('422 ITEM_NOT_ELIGIBLE naming the rule: the accepted types, or the range', async () => {
    const unknown = await quote(fixture.app.url, { ...seedQuote, item_type: 'spaceships' });
    assertError(unknown, 422, 'ITEM_NOT_ELIGIBLE', ['item_type']);
    assert.match(
      unknown.body.details[0].message,
      /accepted: appliances, bicycles, computers, electronics, furniture, jewelry, mattresses, phones$/,
    );
    const cheap = await quote(fixture.app.url, { ...seedQuote, item_cost: 10 });
    assertError(cheap, 422, 'ITEM_NOT_ELIGIBLE', ['item_cost']);
    assert.match(cheap.body.details[0].message, /from 50 to 10000/);
  });

  it('a store key quotes for its own store only (403 STORE_MISMATCH otherwise, before pricing)', async () => {
    assert.equal((await quote(fixture.app.url, seedQuote, storeKey)).status, 200);
    assertError(await quote(fixture.app.url, { ...seedQuote, store_uuid: 'other-store' }, storeKey), 403, 'STORE_MISMATCH', ['store_uuid']);
    assertError(
      await quote(fixture.app.url, { ...seedQuote, store_uuid: 'other-store', item_type: 'spaceships' }, storeKey),
      403,
      'STORE_MISMATCH',
    );
  });

  it('GET /api/pricing: a store key gets its own store’s table; another store_uuid → 403', async () => {
    assert.equal((await send(fixture.app.url, '/api/pricing', { key: storeKey })).body.version, '2026-11-01');
    assert.equal((await send(fixture.app.url, `/api/pricing?store_uuid=${SEED_PAYLOAD.store_uuid}`, { key: storeKey })).status, 200);
    assertError(await send(fixture.app.url, '/api/pricing?store_uuid=other-store', { key: storeKey }), 403, 'STORE_MISMATCH');
    assertError(await send(fixture.app.url, '/api/pricing?store_uuid=bad%20store'), 400, 'VALIDATION_FAILED', ['store_uuid']);
    assertError(await send(fixture.app.url, '/api/pricing?colour=red'), 400, 'VALIDATION_FAILED', ['colour']);
  });

  it('a store-specific version is that store’s whole table: its quotes, POSTs and GET /api/pricing change, no other store’s', async () => {
    const body = {
      version: 'drones-only',
      store_uuids: [SEED_PAYLOAD.store_uuid],
      item_types: [{ item_type: 'drones', min_cost: 100, max_cost: 5000, plans: [{ duration_months: 12, base: 10, rate: 0.05 }] }],
    };
    assert.equal((await publish(fixture.app.url, body)).status, 201);
    const drone = { ...seedQuote, item_type: 'drones', item_cost: 200 };
    const mine = await quote(fixture.app.url, drone, storeKey);
    assert.deepEqual(mine.body, { pricing_version: 'drones-only', plans: [{ warranty_duration_months: 12, warranty_price: 20 }] });
    // Not an overlay: the default's types are gone for this store, and the 422 lists this store's types.
    const furniture = await quote(fixture.app.url, seedQuote, storeKey);
    assertError(furniture, 422, 'ITEM_NOT_ELIGIBLE', ['item_type']);
    assert.match(furniture.body.details[0].message, /accepted: drones$/);
    // Another store keeps the default table.
    const other = await quote(fixture.app.url, { ...seedQuote, store_uuid: 'other-store' });
    assert.equal(other.body.pricing_version, '2026-11-01');
    assertError(await quote(fixture.app.url, { ...drone, store_uuid: 'other-store' }), 422, 'ITEM_NOT_ELIGIBLE', ['item_type']);
    // A POST prices with the store's version; a type the document does not list is accepted.
    const saved = await post(fixture.app.url, { ...SEED_PAYLOAD, item_type: 'drones', item_sku: 'drone-1', item_cost: 200 });
    assert.equal(saved.status, 201, saved.text);
    assert.deepEqual(
      saved.body.warranties.map((w: any) => [w.warranty_duration_months, w.warranty_price, w.pricing_version]),
      [[12, 20, 'drones-only']],
    );
    // GET /api/pricing: the store key and the admin's ?store_uuid= see the store's table; the admin alone, the default.
    assert.equal((await send(fixture.app.url, '/api/pricing', { key: storeKey })).body.version, 'drones-only');
    assert.equal((await send(fixture.app.url, `/api/pricing?store_uuid=${SEED_PAYLOAD.store_uuid}`)).body.version, 'drones-only');
    assert.equal((await send(fixture.app.url, '/api/pricing')).body.version, '2026-11-01');
    const batch = await send(fixture.app.url, '/api/warranties/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(storeKey) },
      body: JSON.stringify({
        store_uuid: SEED_PAYLOAD.store_uuid,
        items: [
          { item_type: 'drones', item_sku: 'drone-2', item_cost: 300, item_title: 'Drone' },
          { item_type: 'furniture', item_sku: 'sofa-2', item_cost: 150, item_title: 'Sofa' },
        ],
      }),
    });
    assert.deepEqual(
      batch.body.results.map((r: any) => [r.status, r.warranties?.[0]?.pricing_version ?? r.error.code]),
      [
        [201, 'drones-only'],
        [422, 'ITEM_NOT_ELIGIBLE'],
      ],
    );
  });
});
