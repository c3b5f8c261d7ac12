/**
 * The hostile-input suite (issue 8): over 10,000 requests from a fixed seed against the service as its
 * own process, across classes of bad input. Every answer: status below 500, X-Request-Id, and for 400+
 * the SPEC's error JSON with the status in it. Afterwards: nothing refused was written (rows of store,
 * item, warranty and archive_record, and archive objects, match exactly the accepted requests), and the
 * process is still live with bounded memory. Per-class counts are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { METHODS, STATUS_CODES } from 'node:http';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it, type TestContext } from 'node:test';
import type pg from 'pg';
import { assertError } from '../support/api-assertions.js';
import { send, type Reply } from '../../harness/http-client.js';
import { pool } from '../support/archive-support.js';
import { asReply, rawExchange } from '../support/raw-http.js';
import { startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import { createBucket, createDatabase, eventually, serviceEnv, sqlClient, type TestBucket } from '../support/test-env.js';

const SEED = 0x8badf00d;
const CONCURRENCY = 16;

/** mulberry32: a small, fixed-seed PRNG, so every run sends the same requests. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const int = (below: number) => Math.floor(random() * below);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

const FIELDS = ['store_uuid', 'item_type', 'item_sku', 'item_cost', 'item_title'] as const;
const STRING_FIELDS = ['store_uuid', 'item_type', 'item_sku', 'item_title'] as const;
const ELIGIBLE = [
  ['furniture', 150],
  ['electronics', 999.99],
  ['appliances', 420.5],
  ['phones', 799],
  ['jewelry', 2500.25],
] as const;

interface Case {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Bytes for a raw socket instead of an HTTP client request. */
  raw?: Buffer;
  /** The request must be refused (status ≥ 400): accepting it would be a bug. */
  refuse?: boolean;
  /** The server may close the connection without an answer (the HTTP/2 preface: Node drops it). */
  mayClose?: boolean;
  /** Raw: end the sending side after the bytes, so an incomplete request is not left waiting for more. */
  halfClose?: boolean;
}

let serial = 0;
/** A valid payload with a SKU no other case uses, so that what was accepted can be counted exactly. */
function valid(): Record<string, unknown> {
  const [itemType, cost] = pick(ELIGIBLE);
  const n = serial++;
  return { store_uuid: `hostile-${n % 40}`, item_type: itemType, item_sku: `h-${n}`, item_cost: cost, item_title: `Item ${n}` };
}
const MARK = '\u0001RAW\u0001';
/** JSON text of `payload` with `field`'s value replaced by raw JSON text. */
const withRaw = (payload: Record<string, unknown>, field: string, raw: string): string =>
  JSON.stringify({ ...payload, [field]: MARK }).replace(JSON.stringify(MARK), raw);
const postCase = (body: string | Buffer, extra: Partial<Case> = {}): Case => ({
  method: 'POST',
  path: '/api/warranties',
  headers: { 'content-type': 'application/json', ...extra.headers },
  body,
  ...extra,
});
const rawCase = (text: string | Buffer, extra: Partial<Case> = {}): Case => ({
  raw: typeof text === 'string' ? Buffer.from(text, 'latin1') : text,
  ...extra,
});
const repeat = (count: number, make: () => Case): Case[] => Array.from({ length: count }, make);

function nestedValue(depth: number): string {
  const kind = int(3);
  if (kind === 0) return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  if (kind === 1) return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `${'[{"a":'.repeat(Math.ceil(depth / 2))}"x"${'}]'.repeat(Math.ceil(depth / 2))}`;
}

const UNSTORABLE = ['\u0000', 'a\u0000b', 'tail\u0000', '\ud800', 'x\udbff', '\udfff', 'y\udc00z', '\udc00\ud800'];
const ODD_STRINGS = [
  'מוצר', // Hebrew
  'منتج ممتاز', // Arabic
  '\u202eevil\u202c',
  '\u200f\u200e',
  'a\u200bb',
  'e\u0301\u0301\u0301',
  '🛋️',
  '👨‍👩‍👧‍👦',
  '\ufeffbom',
  "'; DROP TABLE item; --",
  '../../etc/passwd',
  '%00',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '   ',
  '\t\n',
  'x\u2028y',
  '\u0085',
  'ＡＢＣ',
  'İstanbul',
  'ß',
];
/** Pieces whose UTF-16, UTF-8, grapheme and code point counts differ, some changed by NFC (U+0958 grows), some refused. */
const UNICODE_PIECES = ['a', 'é', 'e\u0301', '€', '📦', '\uFE0F', '\u2764\uFE0F', '\u0958', 'q\u0316\u0301', '\u1100\u1161', ' '];
/** Refused in a SKU; the first four in a title too. ZWJ: fine in a title (emoji sequences), a format character in a SKU. */
const REFUSED_PIECES = ['\u202E', '\u2066', '\uFFFF', '\u{1FFFE}', '\u200B', '\uFEFF', '\uE000', '\u{F0000}', '\u{E0001}', '\u200D'];
const long = (n: number) => 'x'.repeat(n);
/** The SPEC's longest value of each string field (after trimming). */
const MAX_LENGTH: Record<string, number> = { store_uuid: 64, item_type: 64, item_sku: 128, item_title: 255, extra_field: 0 };

/** Every class: its name and its requests, all generated up front from the seed. */
function classes(): [string, Case[]][] {
  return [
    [
      'deep nesting in every field',
      repeat(700, () => {
        const depth = pick([33, 40, 100, 500, 1000, 2000, 3000]);
        const field = pick([...FIELDS, 'extra_field']);
        return { ...postCase(withRaw(valid(), field, nestedValue(depth))), refuse: true };
      }),
    ],
    [
      'case-variant and look-alike keys',
      repeat(500, () => {
        const payload = valid();
        const field = pick(FIELDS);
        const value = payload[field];
        delete payload[field];
        const variant = pick([
          field.toUpperCase(),
          field[0].toUpperCase() + field.slice(1),
          field.replace('_', ''),
          field.replace('_', '-'),
          ` ${field}`,
          `${field} `,
          `${field}\u200b`,
          field.replace('i', 'ı'),
          field.replace('_', '\u2010'),
        ]);
        return { ...postCase(JSON.stringify({ ...payload, [variant]: value })), refuse: true };
      }),
    ],
    [
      'NUL, lone surrogates, RTL, very long strings in every string field',
      repeat(2400, () => {
        const field = pick([...STRING_FIELDS, 'extra_field']);
        const kind = int(3);
        const payload = valid();
        if (kind === 0) {
          const bad = pick(UNSTORABLE);
          return {
            ...postCase(JSON.stringify({ ...payload, [field]: `${bad}${field === 'item_sku' ? payload.item_sku : ''}` })),
            refuse: true,
          };
        }
        if (kind === 1) {
          const odd = pick(ODD_STRINGS);
          // SKUs stay unique, so acceptances can be counted.
          const value = field === 'item_sku' ? `${odd}${String(payload.item_sku)}` : odd;
          return { ...postCase(JSON.stringify({ ...payload, [field]: value })), refuse: field === 'extra_field' };
        }
        const length = pick([64, 65, 128, 129, 255, 256, 1000, 8000, 15_000, 17_000]);
        const value = field === 'item_sku' ? `${String(payload.item_sku)}-${long(length)}`.slice(-length) : long(length);
        return {
          ...postCase(JSON.stringify({ ...payload, [field]: value })),
          refuse: field === 'extra_field' || length > MAX_LENGTH[field],
        };
      }),
    ],
    [
      'Unicode: lengths in code points around each limit, NFC, format characters (SKU filter too)',
      repeat(300, () => {
        const payload = valid();
        const field = pick(['item_sku', 'item_title'] as const);
        const target = MAX_LENGTH[field] - 2 + int(5);
        let value = field === 'item_sku' ? String(payload.item_sku) : '';
        while ([...value].length < target) value += pick(UNICODE_PIECES);
        if (int(4) === 0) {
          const points = [...value]; // inserted between code points: no surrogate pair is split
          points.splice(int(points.length + 1), 0, pick(REFUSED_PIECES));
          value = points.join('');
        }
        const storedLength = [...value.trim().normalize('NFC')].length;
        if (int(4) === 0) return { method: 'GET', path: `/api/warranties?sku=${encodeURIComponent(value)}`, refuse: storedLength > 128 };
        return { ...postCase(JSON.stringify({ ...payload, [field]: value })), refuse: storedLength > MAX_LENGTH[field] };
      }),
    ],
    [
      'number edge cases, as literals and as strings',
      repeat(1500, () => {
        const literal = pick([
          '0',
          '-0',
          '1e2',
          '1E2',
          '150.00',
          '150.001',
          '1e-7',
          '5e-324',
          '1e308',
          '1e309',
          '-1',
          '1000000',
          '1000000.01',
          '0.1',
          '0.01',
          '9007199254740993',
          '123456789012345678901234567890',
          '150.0000000000000001',
          '-150',
          '0x10',
          'NaN',
          'Infinity',
          '-Infinity',
          '+1',
          '.5',
          '1.',
          '01',
          '1_000',
          '1e',
          '--1',
          '150',
          '420.50',
        ]);
        const asString = int(3) === 0;
        const field = int(4) === 0 ? pick(STRING_FIELDS) : 'item_cost';
        const payload = valid();
        const raw = asString ? JSON.stringify(literal) : literal;
        return postCase(
          withRaw(payload, field, field === 'item_sku' && asString ? JSON.stringify(`${literal}${String(payload.item_sku)}`) : raw),
        );
      }),
    ],
    [
      'wrong types',
      repeat(800, () => {
        if (int(5) === 0)
          return { ...postCase(pick(['[]', '"str"', '1', 'null', 'true', '[{}]', '{}', `[${JSON.stringify(valid())}]`])), refuse: true };
        const field = pick(FIELDS);
        const raw = pick(['null', 'true', 'false', '[]', '{}', '[1]', '{"$gt":""}', '{"__proto__":{"x":1}}', '[null]', '{"value":150}']);
        return { ...postCase(withRaw(valid(), field, raw)), refuse: true };
      }),
    ],
    [
      'broken and truncated JSON',
      repeat(1500, () => {
        const text = JSON.stringify(valid());
        const kind = int(6);
        if (kind === 0) return { ...postCase(text.slice(0, 1 + int(text.length - 1))), refuse: true };
        if (kind === 1) return { ...postCase(text.replace(/"/, "'")), refuse: true };
        if (kind === 2) return { ...postCase(`${text.slice(0, -1)},}`), refuse: true };
        if (kind === 3) return { ...postCase(`${text}${pick([' x', '{}', ',', ']', '\u0000', '/*c*/'])}`), refuse: true };
        if (kind === 4) return { ...postCase(Buffer.from(Array.from({ length: 1 + int(200) }, () => int(256)))), refuse: true };
        return {
          ...postCase(
            pick(['', ' ', '{', '}', '{"a":}', '{a:1}', '{"a":1,,"b":2}', '{"a" 1}', '"', '\\', 'nul', '{"a":"\\x41"}', '{"a":"\\u12"}']),
          ),
          refuse: true,
        };
      }),
    ],
    [
      'BOM',
      repeat(150, () => {
        const text = JSON.stringify(valid());
        const kind = int(4);
        if (kind === 0) return postCase(`\ufeff${text}`);
        if (kind === 1) return { ...postCase(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])), refuse: true };
        if (kind === 2) return { ...postCase(`${text.slice(0, 10)}\ufeff${text.slice(10)}`), refuse: true };
        return postCase(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
      }),
    ],
    [
      'duplicate keys',
      repeat(300, () => {
        const payload = valid();
        const field = pick(FIELDS);
        const text = JSON.stringify(payload);
        const second = pick([JSON.stringify(payload[field]), 'null', '"dup"', '150', '[]']);
        return postCase(`${text.slice(0, -1)},${JSON.stringify(field)}:${second}}`);
      }),
    ],
    [
      'content types and encodings',
      repeat(500, () => {
        const text = JSON.stringify(valid());
        const kind = int(4);
        if (kind === 0) {
          const type = pick([
            'text/plain',
            'text/json',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=utf-16',
            'application/json; charset=latin1',
            'application/json; charset=bogus',
            'application/jsonp',
            'application/json-patch+json',
            'application/xml',
            '*/*',
            ';;;',
            'application/',
            `application/json; x=${long(2000)}`,
          ]);
          // Still JSON: a charset body-parser can decode, or a parameter it ignores.
          return {
            ...postCase(text, { headers: { 'content-type': type } }),
            refuse: !/^application\/json; (charset=latin1|x=)/.test(type),
          };
        }
        if (kind === 1)
          return postCase(text, {
            headers: { 'content-type': pick(['APPLICATION/JSON', 'application/json; charset=UTF-8', 'application/json;charset=utf-8']) },
          });
        if (kind === 2) {
          const encoding = pick(['gzip', 'deflate', 'br', 'identity', 'bogus', 'gzip, gzip', 'compress']);
          const body = encoding === 'gzip' ? gzipSync(text) : Buffer.from(text);
          return postCase(body, { headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
        }
        // A gzip bomb: small on the wire, far over the limit once inflated; and gzip that is not gzip.
        return {
          ...postCase(int(2) === 0 ? gzipSync(' '.repeat(4 * 1024 * 1024)) : Buffer.from('not gzip at all'), {
            headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          }),
          refuse: true,
        };
      }),
    ],
    [
      'oversize bodies',
      repeat(40, () => {
        const size = pick([16 * 1024 + 1, 64 * 1024, 1024 * 1024]);
        const body = int(2) === 0 ? `{"item_title":"${long(size)}"}` : `[${'1,'.repeat(size / 2)}1]`;
        return { ...postCase(body), refuse: true };
      }),
    ],
    [
      'bad query parameters and ids',
      repeat(1600, () => {
        if (int(3) === 0) {
          const id = pick([
            '0',
            '-1',
            '1.5',
            '1e3',
            '9007199254740993',
            '99999999999999999999',
            'abc',
            '%00',
            '%2e%2e',
            '..',
            '%ff',
            '١٢',
            '0x1',
            ' 1',
            '1;',
            long(300),
            '%F0%9F%9B%8B',
            '1%0d%0aX:1',
          ]);
          return { method: 'GET', path: `/api/warranties/${id}` };
        }
        const param = pick([
          'sku',
          'item_type',
          'store_uuid',
          'limit',
          'cursor',
          'unknown',
          'sku[]',
          'sku[a]',
          'LIMIT',
          '__proto__',
          'constructor',
        ]);
        const value = pick([
          '',
          'x',
          '%00',
          '%ff',
          '%ED%A0%80',
          '0',
          '-1',
          '1001',
          '1.5',
          'abc',
          long(500),
          'djE6NDI',
          '%E2%80%AE',
          'a&sku=b',
          '%',
          '%zz',
          '+',
          'null',
        ]);
        const second = int(3) === 0 ? `&${param}=${pick(['x', '1', ''])}` : '';
        return { method: 'GET', path: `/api/warranties?${param}=${value}${second}` };
      }),
    ],
    [
      'odd methods',
      repeat(400, () => {
        const method = pick([...METHODS.filter((m) => m !== 'CONNECT'), 'get', 'G ET', 'FOO', 'BREW', 'PRI', long(100)]);
        const path = pick(['/', '/api/warranties', '/api/warranties/1', '/health/live', '/docs', '/metrics', '/nowhere', '*']);
        return rawCase(`${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`, { mayClose: method === 'PRI' });
      }),
    ],
    [
      'raw protocol garbage over a socket',
      repeat(700, () => {
        const kind = int(9);
        const incomplete = { halfClose: true };
        if (kind === 0)
          return rawCase(Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256))), { mayClose: true, halfClose: true });
        if (kind === 1) {
          const text = pick(['GET / HTTP/1.1\r\n', 'GET /', 'GET / HTTP/1.1\r\nHost: x\r\n', '\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n']);
          // Blank lines before a request are allowed (RFC 9112 §2.2): with no request after them, there is nothing to answer.
          return rawCase(text, { ...incomplete, mayClose: text === '\r\n\r\n' });
        }
        if (kind === 2) return rawCase(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${long(pick([9000, 20_000, 70_000]))}\r\n\r\n`);
        if (kind === 3)
          return rawCase(`GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: 1`).join('\r\n')}\r\n\r\n`);
        if (kind === 4) {
          const framing = pick([
            'Content-Length: 5\r\nTransfer-Encoding: chunked',
            'Content-Length: -1',
            'Content-Length: abc',
            'Content-Length: 5\r\nContent-Length: 6',
            'Transfer-Encoding: gzip, chunked',
            'Transfer-Encoding: chunked\r\n',
            'Content-Length: 99999999999999999999',
          ]);
          return rawCase(
            `POST /api/warranties HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${framing}\r\n\r\n{"a":1}`,
            incomplete,
          );
        }
        if (kind === 5) {
          return rawCase(
            pick([
              'GET /\u0000 HTTP/1.1\r\nHost: x\r\n\r\n',
              'GET http://evil.example/ HTTP/1.1\r\nHost: x\r\n\r\n',
              'GET / HTTP/1.1\nHost: x\n\n',
              'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n',
              'GET / HTTP/1.0\r\n\r\n',
              'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
              'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-Id: \u00ff\u00fe\r\n\r\n',
            ]),
          );
        }
        if (kind === 6) return rawCase('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', { mayClose: true });
        if (kind === 7) return rawCase(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), incomplete);
        return rawCase(
          `POST /api/warranties HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"store_uuid":`,
          incomplete,
        );
      }),
    ],
  ];
}

interface Outcome {
  status: number | undefined;
  reply: Reply;
  closed: boolean;
}

async function run(url: string, one: Case): Promise<Outcome> {
  if (one.raw) {
    const raw = await rawExchange(url, one.raw, 15_000, one.halfClose);
    return { status: raw.status, reply: asReply(raw), closed: raw.status === undefined };
  }
  const reply = await send(url, one.path!, { method: one.method, headers: one.headers, body: one.body, timeoutMs: 15_000 });
  return { status: reply.status, reply, closed: false };
}

function rssMb(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

describe('hostile input (service process, fixed seed)', () => {
  let service: ServiceProcess;
  let sql: pg.Client;
  let bucket: TestBucket;
  let rssBefore: number;
  /** (store, sku) of every accepted POST, as the service normalised them; and how many were accepted. */
  const acceptedItems = new Set<string>();
  const acceptedStores = new Set<string>();
  let accepted = 0;

  before(async () => {
    const databaseUrl = await createDatabase();
    bucket = await createBucket();
    service = await startServiceProcess(serviceEnv(databaseUrl, bucket));
    sql = await sqlClient(databaseUrl);
    rssBefore = rssMb(service.child.pid!);
  });

  after(async () => {
    await sql?.end();
    await service?.stop('SIGTERM', 10_000);
  });

  it('over 10,000 hostile requests: never 500, always X-Request-Id and, for errors, the SPEC’s error JSON', async (t: TestContext) => {
    const started = performance.now();
    let total = 0;
    const failures: string[] = [];
    for (const [name, cases] of classes()) {
      const classStarted = performance.now();
      const statuses = new Map<string, number>();
      const outcomes = await pool(cases, CONCURRENCY, (one) => run(service.url, one));
      for (const [i, outcome] of outcomes.entries()) {
        const one = cases[i];
        const label = outcome.closed ? 'closed' : String(outcome.status);
        statuses.set(label, (statuses.get(label) ?? 0) + 1);
        // Counted first, whatever the checks below say, so the "nothing else written" test stays exact.
        const isAccepted = one.method === 'POST' && one.path === '/api/warranties' && (outcome.status === 200 || outcome.status === 201);
        if (isAccepted) {
          accepted++;
          const first = outcome.reply.body?.warranties?.[0];
          acceptedStores.add(first?.store_uuid);
          acceptedItems.add(`${first?.store_uuid}\u0000${first?.item_sku}`);
        }
        const request = one.raw ?? Buffer.from(`${one.method} ${one.path} ${JSON.stringify(one.headers ?? {})} ${String(one.body ?? '')}`);
        const context = `${name} #${i}: ${JSON.stringify(request.toString('latin1').slice(0, 200))} → ${label} ${JSON.stringify(outcome.reply.text.slice(0, 200))}`;
        try {
          if (outcome.closed) {
            assert.ok(one.mayClose, 'closed without an answer');
            continue;
          }
          const status = outcome.status!;
          assert.ok(status < 500, 'status below 500');
          assert.ok(STATUS_CODES[status], 'a real status');
          assert.ok(outcome.reply.headers.get('x-request-id'), 'X-Request-Id');
          if (one.refuse) assert.ok(status >= 400, 'must be refused');
          if (status >= 400 && one.method !== 'HEAD' && !(one.raw && one.raw.subarray(0, 5).toString() === 'HEAD ')) {
            assert.equal(typeof outcome.reply.body?.code, 'string', 'error JSON with a code');
            assertError(outcome.reply, status, outcome.reply.body.code);
          }
        } catch (error) {
          if (failures.length < 20) failures.push(`${context}\n    ${(error as Error).message.split('\n')[0]}`);
          else failures.length++;
        }
      }
      total += cases.length;
      const summary = [...statuses]
        .sort()
        .map(([status, count]) => `${status}×${count}`)
        .join(' ');
      t.diagnostic(`hostile input — ${name}: ${cases.length} sent; ${summary} (${Math.round(performance.now() - classStarted)} ms)`);
    }
    t.diagnostic(
      `hostile input — total ${total} requests in ${Math.round(performance.now() - started)} ms (seed ${SEED.toString(16)}); ${accepted} accepted POSTs`,
    );
    assert.ok(total >= 10_000, `${total} requests`);
    assert.deepEqual(failures, [], `${failures.length} bad answers`);
  });

  it('nothing refused was written: rows and archive objects are exactly those of the accepted requests', async (t: TestContext) => {
    const { rows } = await sql.query(`
      SELECT (SELECT count(*)::int FROM store) AS stores, (SELECT count(*)::int FROM item) AS items,
             (SELECT count(*)::int FROM archive_record) AS records,
             (SELECT count(*)::int FROM warranty) AS warranties,
             (SELECT count(DISTINCT item_id)::int FROM warranty) AS items_with_plans`);
    t.diagnostic(`after the run: ${JSON.stringify(rows[0])}; accepted POSTs ${accepted}`);
    assert.deepEqual(
      { stores: rows[0].stores, items: rows[0].items, records: rows[0].records, items_with_plans: rows[0].items_with_plans },
      { stores: acceptedStores.size, items: acceptedItems.size, records: accepted, items_with_plans: acceptedItems.size },
    );
    // Every record uploaded, and the bucket holds exactly those objects (listed per store folder: s3rver
    // fails to page through one listing of over 1,000 keys).
    const uploaded = await eventually(
      async () => (await sql.query('SELECT count(*)::int AS n FROM archive_record WHERE archived_at IS NULL')).rows[0].n === 0,
      30_000,
      500,
    );
    assert.ok(uploaded, 'the archive backlog drained');
    const { rows: keyRows } = await sql.query('SELECT object_key FROM archive_record ORDER BY object_key');
    const expected = keyRows.map((row) => row.object_key as string);
    const folders = [...new Set(expected.map((key) => key.slice(0, key.lastIndexOf('/') + 1)))];
    const listed = (await pool(folders, 8, (folder) => bucket.keys(folder))).flat().sort();
    assert.equal(listed.length, accepted, 'one archive object per accepted POST');
    assert.deepEqual(listed, expected);
  });

  it('the process is still live, serves normally, and its memory stayed bounded', async (t: TestContext) => {
    assert.equal(service.child.exitCode, null, `still running:\n${service.tail(60)}`);
    assert.equal((await send(service.url, '/health/live')).status, 200);
    assert.equal((await send(service.url, '/health/ready')).status, 200);
    const rssAfter = rssMb(service.child.pid!);
    t.diagnostic(`service RSS: ${rssBefore.toFixed(0)} MB before, ${rssAfter.toFixed(0)} MB after the run`);
    assert.ok(rssAfter < rssBefore + 200 && rssAfter < 600, `RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB`);
  });

  it('prototype-named extra keys are refused (400 naming them), with any value', async () => {
    const names = [
      'toString',
      'valueOf',
      'hasOwnProperty',
      'isPrototypeOf',
      'propertyIsEnumerable',
      'toLocaleString',
      '__defineGetter__',
      '__lookupSetter__',
      'constructor',
      '__proto__',
    ];
    const cases = repeat(200, () =>
      postCase(JSON.stringify(valid()).replace(/}$/, `,${JSON.stringify(pick(names))}:${pick(['1', '"x"', 'null', '{}', '[]', 'true'])}}`)),
    );
    const outcomes = await pool(cases, CONCURRENCY, (one) => run(service.url, one));
    for (const [i, outcome] of outcomes.entries()) {
      assert.ok(outcome.status !== undefined && outcome.status < 500, `#${i}: ${outcome.status}`);
      assertError(outcome.reply, 400, 'VALIDATION_FAILED');
      const key = /,("[^"]+"):[^,]*}$/.exec(String(cases[i].body))![1];
      assert.ok(
        outcome.reply.body.details.some((d: { field: string }) => d.field === JSON.parse(key)),
        `#${i} names ${key}: ${outcome.reply.text}`,
      );
    }
  });
});
