/**
 * Generated-client round trip: a typed client generated from /docs-json by @hey-api/openapi-ts,
 * compiled with the project's TypeScript (strict), calling the running service. Compilation proves
 * the types (ids are numbers, item_type is an open string, error codes a union, batch results a
 * union narrowed by status); the run proves the answers match them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@hey-api/openapi-ts';
import { send } from '../../harness/http-client.js';
import { createDatabase, SEED_PAYLOAD, serviceEnv, startApp, type TestApp } from '../support/test-env.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Uses the generated SDK the way an integrator would; prints what it got as JSON. */
const PROGRAM = `
import { createClient } from './client/client/index.js';
import { getPricing, getWarranty, listChanges, listWarranties, submitWarranty, submitWarrantyBatch } from './client/sdk.gen.js';
import type { Change, CreateWarrantyDto, ErrorCode, FeedChange, WarrantyView } from './client/types.gen.js';

// The API key goes where the document's security scheme (http bearer) says: the client's \`auth\`.
const client = createClient({ baseUrl: process.argv[2], auth: process.env.WARRANTY_API_KEY });
const body: CreateWarrantyDto = ${JSON.stringify({ ...SEED_PAYLOAD, item_sku: 'generated-client-1' })};

const created = await submitWarranty({ client, body });
if (!created.data) throw new Error('no data: ' + JSON.stringify(created.error));
const first: WarrantyView = created.data.warranties[0];
const id: number = first.id;
const months: number = first.warranty_duration_months;
// @ts-expect-error ids are numbers, not strings (an \`any\` here would make this line compile)
const notAString: string = first.id;

const again = await submitWarranty({ client, body });
// \`change\` is the three values, not a string: a fourth does not compile, and each one narrows.
const changes: ['created' | 'updated' | 'unchanged', Change] = [created.data.change, again.data!.change];
// @ts-expect-error not one of the three
const notAChange: Change = 'deleted';
// The feed says created or updated only: an unchanged re-send is never in it.
// @ts-expect-error not in the feed
const notInFeed: FeedChange = 'unchanged';
const feed = await listChanges({ client, query: { store_uuid: body.store_uuid, limit: 10 } });
const feedChanges: FeedChange[] = (feed.data?.changes ?? []).map((entry) => entry.change);
const nextCursor: string | undefined = feed.data?.next_cursor;
const badCursor = await listChanges({ client, query: { cursor: 'not-a-cursor' } });
const page = await listWarranties({ client, query: { store_uuid: body.store_uuid, item_type: 'furniture', limit: 10 } });
const one = await getWarranty({ client, path: { id } });
const missing = await getWarranty({ client, path: { id: 999_999_999 } });
// item_type is an open string: a type the pricing table does not know compiles, and the service answers 422.
const unknownType = await submitWarranty({ client, body: { ...body, item_type: 'spaceships' } });
const code: ErrorCode | undefined = unknownType.error?.code;
const pricing = await getPricing({ client });

// A batch result is a union told apart by \`status\`: plans only on 201/200, an error only on 400/422.
const { store_uuid, ...item } = body;
const batch = await submitWarrantyBatch({
  client,
  body: { store_uuid, items: [{ ...item, item_sku: 'generated-client-2' }, { ...item, item_type: 'spaceships' }] },
});
const results = (batch.data?.results ?? []).map((result) => {
  switch (result.status) {
    case 201:
    case 200:
      return { index: result.index, status: result.status, plans: result.warranties.length };
    case 400:
    case 422:
      return { index: result.index, status: result.status, code: result.error.code };
  }
});
// @ts-expect-error \`warranties\` is not on every result: the union must be narrowed by status first
const unnarrowed = batch.data?.results[0].warranties;

process.stdout.write(
  JSON.stringify({
    created: { status: created.response?.status, data: created.data, id, months, notAString },
    again: { status: again.response?.status, data: again.data },
    changes,
    notAChange,
    notInFeed,
    feed: { status: feed.response?.status, changes: feedChanges, nextCursor: typeof nextCursor },
    badCursor: { status: badCursor.response?.status, code: badCursor.error?.code },
    page: { status: page.response?.status, data: page.data },
    one: { status: one.response?.status, data: one.data },
    missing: { status: missing.response?.status, error: missing.error },
    unknownType: { status: unknownType.response?.status, error: unknownType.error, code },
    pricing: { status: pricing.response?.status, version: pricing.data?.version },
    batch: { status: batch.response?.status, results, unnarrowed: unnarrowed !== undefined },
  }),
);
`;

describe('a client generated from /docs-json (@hey-api/openapi-ts), compiled with tsc, against the service', () => {
  let app: TestApp;
  let dir: string;
  let result: any;

  before(async () => {
    app = await startApp(serviceEnv(await createDatabase()));
    dir = mkdtempSync(join(tmpdir(), 'warranty-client-'));
    const doc = (await send(app.url, '/docs-json')).body;
    await createClient({ input: doc, output: join(dir, 'client'), logs: { level: 'silent', file: false } });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'main.ts'), PROGRAM);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          lib: ['es2023', 'dom'],
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(require.resolve('@types/node/package.json'), '../..')],
          outDir: 'out',
        },
        include: ['main.ts', 'client'],
      }),
    );
    const tsc = require.resolve('typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).catch((error: { stdout?: string }) => {
      throw new Error(`the generated client does not compile:\n${error.stdout ?? String(error)}`);
    });
    const { stdout } = await run(process.execPath, [join(dir, 'out', 'main.js'), app.url], {
      cwd: dir,
      timeout: 30_000,
      env: { ...process.env, WARRANTY_API_KEY: app.adminKey },
    });
    result = JSON.parse(stdout);
  });
  after(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('submitWarranty: 201 with the seed plans, then 200 with the same ids', () => {
    assert.equal(result.created.status, 201);
    assert.deepEqual(
      result.created.data.warranties.map((w: any) => [w.warranty_duration_months, w.warranty_price]),
      [
        [12, 20],
        [24, 27],
      ],
    );
    assert.equal(typeof result.created.id, 'number');
    assert.equal(result.again.status, 200);
    assert.deepEqual(
      result.again.data.warranties.map((w: any) => w.id),
      result.created.data.warranties.map((w: any) => w.id),
    );
  });

  it('change is typed as the three values; listChanges pages the feed and refuses a cursor it did not issue', () => {
    assert.deepEqual(result.changes, ['created', 'unchanged']);
    assert.equal(result.feed.status, 200);
    assert.equal(result.feed.nextCursor, 'string');
    assert.ok(result.feed.changes.every((change: string) => change === 'created' || change === 'updated'));
    assert.deepEqual(result.badCursor, { status: 400, code: 'VALIDATION_FAILED' });
  });

  it('listWarranties and getWarranty return what was stored', () => {
    assert.equal(result.page.status, 200);
    assert.deepEqual(result.page.data.warranties, result.again.data.warranties);
    assert.equal(result.page.data.next_cursor, null);
    assert.equal(result.one.status, 200);
    assert.deepEqual(result.one.data, result.created.data.warranties[0]);
  });

  it('errors arrive typed: 404 NOT_FOUND, and 422 ITEM_NOT_ELIGIBLE for a type the table does not know', () => {
    assert.equal(result.missing.status, 404);
    assert.equal(result.missing.error.code, 'NOT_FOUND');
    assert.equal(result.unknownType.status, 422);
    assert.equal(result.unknownType.code, 'ITEM_NOT_ELIGIBLE');
  });

  it('submitWarrantyBatch: results typed as a union by status (plans on 201, the error on 422)', () => {
    assert.equal(result.batch.status, 200);
    assert.deepEqual(result.batch.results, [
      { index: 0, status: 201, plans: 2 },
      { index: 1, status: 422, code: 'ITEM_NOT_ELIGIBLE' },
    ]);
  });

  it('getPricing names the version that priced the plans', () => {
    assert.equal(result.pricing.status, 200);
    assert.equal(result.pricing.version, result.created.data.warranties[0].pricing_version);
  });
});
