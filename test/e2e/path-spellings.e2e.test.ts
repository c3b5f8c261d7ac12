/**
 * Every spelling of a protected path (issue 15): the router serves a path in more spellings than one
 * (case, a trailing slash, percent-encoded parameters), so the access gate must hold in all of them.
 * For each protected path, each spelling (case, percent-encoding, trailing slash, double slash, dot
 * segments, absolute-form targets) and each method (GET, HEAD, POST, OPTIONS), sent as raw bytes so
 * that no client normalises it: without a key the answer is 401 (the gate) or 404 (not a route),
 * never a 2xx/3xx, never an answer that shows the body was read (400 MALFORMED_JSON, 413, 415), never
 * a 5xx; with an admin key no spelling gives a 5xx either. Default settings, then METRICS_ACCESS=admin
 * and DOCS_ACCESS=admin (Swagger UI's static assets included).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { asReply, rawExchange, type RawReply } from '../support/raw-http.js';
import { assertError } from '../support/api-assertions.js';
import { createDatabase, serviceEnv, startApp, type TestApp } from '../support/test-env.js';

const METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'] as const;

const encodeChar = (char: string, upper = true) => {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? hex.toUpperCase() : hex}`;
};

/** Spellings of `path` (which starts with `/`): each one a way a client or proxy might send the same path. */
function spellings(path: string): string[] {
  const segments = path.split('/').slice(1);
  const [first, ...rest] = segments;
  const tail = rest.length > 0 ? `/${rest.join('/')}` : '';
  const out = new Set<string>([
    path,
    path.toUpperCase(),
    `/${first.toUpperCase()}${tail}`,
    `/${first[0].toUpperCase()}${first.slice(1)}${tail}`,
    `/${first}${tail.toUpperCase()}`,
    path.replace(/[a-z]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c)),
    path.endsWith('/') ? path.slice(0, -1) : `${path}/`,
    `${path.toUpperCase()}/`,
    `${path}//`,
    `/${path}`,
    path.replace(/\//g, '//'),
    `/./${path.slice(1)}`,
    `/${first}/.${tail}`,
    `/${first}/x/..${tail}`,
    `/x/..${path}`,
    `${path}/.`,
    `/${encodeChar(first[0])}${first.slice(1)}${tail}`,
    `/${encodeChar(first[0], false)}${first.slice(1)}${tail}`,
    `/${encodeChar(first[0]).toLowerCase()}${first.slice(1).toUpperCase()}${tail}`,
    `/${first.slice(0, -1)}${encodeChar(first.at(-1)!)}${tail}`,
    `/${first}%2F${rest.join('/')}`,
    `/${first}%2f${rest.join('%2F')}`,
    `/${first}\\${rest.join('\\')}`,
    `/${first};x${tail}`,
    `${path};x`,
    `${path}%00`,
    `${path}%20`,
    `${path}?x=1`,
    `${path.toUpperCase()}?x=1`,
    `${path}#frag`,
    `http://127.0.0.1${path}`,
    `http://127.0.0.1${path.toUpperCase()}`,
    `http://127.0.0.1/${encodeChar(first[0])}${first.slice(1)}${tail}`,
  ]);
  for (let i = 0; i < rest.length; i++) {
    const segment = rest[i];
    if (segment === '' || /^\d+$/.test(segment)) continue;
    const before = `/${[first, ...rest.slice(0, i)].join('/')}`;
    const after = rest.slice(i + 1).length > 0 ? `/${rest.slice(i + 1).join('/')}` : '';
    out.add(`${before}/${encodeChar(segment[0])}${segment.slice(1)}${after}`);
    out.add(`${before}/${segment.toUpperCase()}${after}`);
    out.add(`${before}/${[...segment].map((c) => encodeChar(c)).join('')}${after}`);
  }
  return [...out];
}

function request(method: string, target: string, key: string | null): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  if (key) lines.push(`Authorization: Bearer ${key}`);
  // A body the JSON parser would refuse (415): an answer other than 401/404 shows it was read before the key.
  if (method === 'POST') lines.push('Content-Type: text/plain', 'Content-Length: 5', '', 'hello');
  else lines.push('', '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

interface Outcome {
  method: string;
  target: string;
  anonymous: RawReply;
  admin: RawReply;
}

async function tryAll(app: TestApp, paths: readonly string[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const jobs = paths.flatMap((path) => spellings(path).flatMap((target) => METHODS.map((method) => ({ method, target }))));
  // A few at a time: these are cheap requests, but the machine is shared.
  for (let i = 0; i < jobs.length; i += 16) {
    const chunk = jobs.slice(i, i + 16);
    outcomes.push(
      ...(await Promise.all(
        chunk.map(async ({ method, target }) => ({
          method,
          target,
          anonymous: await rawExchange(app.url, request(method, target, null)),
          admin: await rawExchange(app.url, request(method, target, app.adminKey)),
        })),
      )),
    );
  }
  return outcomes;
}

/** Refused without a key: 401 from the gate, 404 (no such route), or Node's own 400 for a target it cannot parse. */
function refused({ anonymous }: Outcome): boolean {
  if (anonymous.status === 401 || anonymous.status === 404) return true;
  return anonymous.status === 400 && anonymous.body?.code === 'BAD_REQUEST';
}

function report(t: TestContext, outcomes: Outcome[]): void {
  const served = outcomes.filter((o) => (o.admin.status ?? 0) < 300);
  const notRefused = outcomes.filter((o) => !refused(o));
  const failed = outcomes.filter((o) => (o.admin.status ?? 500) >= 500);
  const byStatus = new Map<string, number>();
  for (const o of notRefused) byStatus.set(String(o.anonymous.status), (byStatus.get(String(o.anonymous.status)) ?? 0) + 1);
  t.diagnostic(
    `${outcomes.length} requests tried without a key (${served.length} of them served with an admin key): ` +
      `${notRefused.length} not refused without a key (${[...byStatus].map(([status, n]) => `${n} × ${status}`).join(', ') || 'none'}); ` +
      `${failed.length} with a 5xx (or no answer) under an admin key`,
  );
  for (const o of [...notRefused, ...failed].slice(0, 40)) {
    t.diagnostic(`${o.method} ${o.target}: no key → ${o.anonymous.status} ${o.anonymous.body?.code ?? ''}; admin → ${o.admin.status}`);
  }
  assert.deepEqual(
    notRefused.map((o) => `${o.method} ${o.target} → ${o.anonymous.status}`),
    [],
    'every spelling refused without a key',
  );
  assert.deepEqual(
    failed.map((o) => `${o.method} ${o.target} → ${o.admin.status}`),
    [],
    'no spelling gives a 5xx',
  );
  for (const o of outcomes) {
    if (o.anonymous.status === 401 && o.method !== 'HEAD') assertError(asReply(o.anonymous), 401, 'UNAUTHORIZED');
  }
  // The router does serve other spellings than the canonical one: the test reaches them.
  const servedTargets = new Set(served.map((o) => `${o.method} ${o.target}`));
  for (const spelling of SERVED_SPELLINGS) assert.ok(servedTargets.has(spelling), `${spelling} is served with a key`);
}

/** Spellings the router serves besides the canonical one (case-insensitive, trailing slash optional, absolute form). */
const SERVED_SPELLINGS = [
  'GET /API/pricing',
  'HEAD /Api/pricing',
  'GET /api/pricing/',
  'GET http://127.0.0.1/api/pricing',
  'GET /API/WARRANTIES',
  'GET /metrics#frag',
  'GET /METRICS/',
  'GET /DOCS',
  'GET /Docs/',
  'GET /DOCS-JSON',
  'GET /docs-yaml',
  'GET /DOCS/swagger-ui-init.js',
  'GET /docs/%73wagger-ui.css',
];

describe('every spelling of a protected path (METRICS_ACCESS=admin, DOCS_ACCESS=admin)', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp(serviceEnv(await createDatabase(), undefined, { METRICS_ACCESS: 'admin', DOCS_ACCESS: 'admin' }));
  });
  after(() => app?.close());

  it('/api/…, /metrics, /docs, /docs-json, /docs-yaml and Swagger UI assets: refused without a key in every spelling, before the body is read; never a 5xx', async (t) => {
    report(
      t,
      await tryAll(app, [
        '/api/pricing',
        '/api/warranties',
        '/api/warranties/1',
        '/api/warranties/batch',
        '/api/nope',
        '/metrics',
        '/docs',
        '/docs/',
        '/docs-json',
        '/docs-yaml',
        '/docs/swagger-ui-init.js',
        '/docs/swagger-ui.css',
        '/docs/favicon-32x32.png',
      ]),
    );
  });
});
