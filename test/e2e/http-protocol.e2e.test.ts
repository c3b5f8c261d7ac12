/**
 * What the HTTP layer itself answers, and bodies that parse but must not go further: every answer is
 * the SPEC's JSON error with an X-Request-Id (issue 8, items 1, 2, 4, 11), and nothing is written.
 */
import assert from 'node:assert/strict';
import { METHODS } from 'node:http';
import { describe, it } from 'node:test';
import { assertError, assertNothingWritten } from '../support/api-assertions.js';
import { defaultKey, post, send } from '../../harness/http-client.js';
import { asReply, rawExchange } from '../support/raw-http.js';
import { appWithDatabase, SEED_PAYLOAD } from '../support/test-env.js';
import { MAX_JSON_DEPTH } from '../../src/common/json-body-check.js';

const FIELDS = ['store_uuid', 'item_type', 'item_sku', 'item_cost', 'item_title'] as const;
const VALID = { ...SEED_PAYLOAD, store_uuid: 'protocol-store', item_sku: 'protocol-sku' };

/** The valid body as JSON text with one field's value replaced by raw JSON text. */
const withRaw = (field: string, rawJson: string): string =>
  JSON.stringify({ ...VALID, [field]: '\u0000RAW' }).replace('"\\u0000RAW"', rawJson);
const nested = (depth: number, inner = '1'): string => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

describe('HTTP protocol edges and hostile bodies (real HTTP, real PostgreSQL)', () => {
  const fixture = appWithDatabase();

  describe('deep nesting → 400 naming the field, before validation (item 1)', () => {
    for (const field of FIELDS) {
      for (const depth of [MAX_JSON_DEPTH, 3000, 8000]) {
        it(`${field} nested ${depth} levels deep`, async () => {
          const reply = await assertNothingWritten(fixture.sql, () => post(fixture.app.url, withRaw(field, nested(depth))));
          assertError(reply, 400, 'VALIDATION_FAILED', [field]);
          if (depth > MAX_JSON_DEPTH) assert.match(reply.body.details[0].message, /nested more than \d+ levels/);
        });
      }
      it(`${field} as nested objects 2500 levels deep`, async () => {
        const reply = await assertNothingWritten(fixture.sql, () =>
          post(fixture.app.url, withRaw(field, `${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}`)),
        );
        assertError(reply, 400, 'VALIDATION_FAILED', [field]);
      });
    }
    it('an extra field nested deeply is named, with the other problems', async () => {
      const body = JSON.stringify({ ...VALID, item_cost: 'x' }).replace(/}$/, `,"extra":${nested(5000)}}`);
      const reply = await post(fixture.app.url, body);
      assertError(reply, 400, 'VALIDATION_FAILED', ['extra', 'item_cost']);
    });
    it('a top-level array nested deeply names body', async () => {
      const reply = await post(fixture.app.url, nested(6000));
      assertError(reply, 400, 'VALIDATION_FAILED', ['body']);
    });
    it('with every other problem of the body named too (validation sees the body without the deep part)', async () => {
      const body = JSON.stringify({ store_uuid: 'bad uuid!', item_type: 'furniture', item_sku: 'x', item_title: 't', color: 1 }).replace(
        /}$/,
        `,"item_cost":${nested(5000)}}`,
      );
      const reply = await post(fixture.app.url, body);
      assertError(reply, 400, 'VALIDATION_FAILED', ['item_cost', 'store_uuid', 'color']);
      assert.match(reply.body.details.find((d: { field: string }) => d.field === 'item_cost').message, /nested more than/);
    });
    it('on routes that take no body, a deep body never reaches anything: no 500, the route answers as usual', async () => {
      const deep = `{"a":${nested(4000)}}`;
      const list = await rawExchange(
        fixture.app.url,
        `GET /api/warranties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${defaultKey(fixture.app.url)}\r\nContent-Type: application/json\r\nContent-Length: ${deep.length}\r\n\r\n${deep}`,
      );
      assert.equal(list.status, 200, `GET with a body: ${list.text.slice(0, 200)}`);
      for (const [method, path, status] of [
        ['POST', '/api/warranties/1', 404],
        ['PUT', '/api/warranties', 404],
        ['POST', '/health/ready', 404],
        ['POST', '/nowhere', 404],
      ] as const) {
        const reply = await send(fixture.app.url, path, { method, headers: { 'content-type': 'application/json' }, body: deep });
        assert.equal(reply.status, status, `${method} ${path}: ${reply.text.slice(0, 200)}`);
        if (status >= 400) assertError(reply, status, 'NOT_FOUND');
      }
    });
  });

  describe('strings PostgreSQL or UTF-8 cannot hold, anywhere in the body → 400 naming the field (item 2)', () => {
    const BAD = { NUL: '\\u0000', 'lone high surrogate': '\\ud800', 'lone low surrogate': '\\udfff', 'reversed pair': '\\udc00\\ud800' };
    for (const [name, escape] of Object.entries(BAD)) {
      for (const field of FIELDS) {
        it(`${name} in ${field}, as its value, deep inside it, and in a key inside it`, async () => {
          for (const raw of [`"a${escape}b"`, `[1,{"x":["${escape}"]}]`, `{"k${escape}":1}`]) {
            const reply = await assertNothingWritten(fixture.sql, () => post(fixture.app.url, withRaw(field, raw)));
            assertError(reply, 400, 'VALIDATION_FAILED', [field]);
            assert.match(reply.body.details[0].message, /NUL|surrogate/, reply.text);
            // With another bad field, both are named.
            const both = await post(fixture.app.url, withRaw(field, raw).replace(/}$/, ',"colour":"red"}'));
            assertError(both, 400, 'VALIDATION_FAILED', [field, 'colour']);
          }
        });
      }
      it(`${name} in an extra field named after an Object.prototype member`, async () => {
        for (const key of ['toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', '__proto__']) {
          const body = JSON.stringify(VALID).replace(/}$/, `,"${key}":"x${escape}"}`);
          const reply = await assertNothingWritten(fixture.sql, () => post(fixture.app.url, body));
          assertError(reply, 400, 'VALIDATION_FAILED');
          assert.ok(
            reply.body.details.some((d: { field: string }) => d.field === key),
            reply.text,
          );
        }
      });
      it(`${name} in a top-level key → named as body`, async () => {
        const body = JSON.stringify(VALID).replace(/}$/, `,"x${escape}":1}`);
        const reply = await assertNothingWritten(fixture.sql, () => post(fixture.app.url, body));
        assertError(reply, 400, 'VALIDATION_FAILED', ['body']);
      });
    }
    it('a valid surrogate pair (emoji), RTL text and other Unicode are accepted and stored as sent', async () => {
      // Direction marks are fine; bidi overrides and isolates are not (unicode-fields.e2e).
      const title = 'מיטה 🛏 \u200fright-to-left\u200e sofa — ü';
      const reply = await post(fixture.app.url, { ...VALID, item_sku: 'unicode-ok', item_title: title });
      assert.equal(reply.status, 201, reply.text);
      const { rows } = await fixture.sql.query(`SELECT title FROM item WHERE sku = 'unicode-ok'`);
      assert.equal(rows[0].title, title);
    });
  });

  describe("Node's own answers are our JSON error with X-Request-Id (item 4)", () => {
    const assertRaw = async (request: string | Buffer, status: number, code: string) => {
      const raw = await rawExchange(fixture.app.url, request);
      assertError(asReply(raw), status, code);
      return raw;
    };

    it('an unknown method (FOO) → 400, echoing the client’s X-Request-Id', async () => {
      const raw = await assertRaw('FOO / HTTP/1.1\r\nHost: x\r\nX-Request-Id: my-id-1\r\n\r\n', 400, 'BAD_REQUEST');
      assert.equal(raw.headers['x-request-id'], 'my-id-1');
      assert.match(raw.body.message, /method/i);
    });
    it('a malformed request line → 400', async () => {
      await assertRaw('this is not http\r\n\r\n', 400, 'BAD_REQUEST');
      await assertRaw('GET / HTTP/9.9\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST');
      await assertRaw(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]), 400, 'BAD_REQUEST'); // a TLS hello
    });
    it('headers too large → 431', async () => {
      await assertRaw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE');
    });
    it('a bad header, Content-Length with Transfer-Encoding, a broken chunk → 400', async () => {
      await assertRaw('GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 400, 'BAD_REQUEST');
      await assertRaw(
        'POST /api/warranties HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}',
        400,
        'BAD_REQUEST',
      );
      await assertRaw(
        'POST /api/warranties HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
        400,
        'BAD_REQUEST',
      );
    });
    it('an HTTP/1.1 request without Host → 400 naming host', async () => {
      const raw = await rawExchange(fixture.app.url, 'GET /health/live HTTP/1.1\r\n\r\n');
      assertError(asReply(raw), 400, 'BAD_REQUEST', ['host']);
    });
    it('CONNECT → 405', async () => {
      await assertRaw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405, 'METHOD_NOT_ALLOWED');
    });
    it('an Expect other than 100-continue → 417', async () => {
      await assertRaw('POST /api/warranties HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 0\r\n\r\n', 417, 'EXPECTATION_FAILED');
    });
    it('every method Node knows, on every kind of path: below 500, and JSON errors with X-Request-Id', async () => {
      for (const method of METHODS.filter((m) => m !== 'CONNECT')) {
        for (const path of ['/', '/api/warranties', '/api/warranties/1', '/health/live', '/docs', '/nowhere']) {
          const raw = await rawExchange(fixture.app.url, `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
          const context = `${method} ${path}: ${raw.status} ${raw.text.slice(0, 200)}`;
          assert.ok(raw.status !== undefined && raw.status < 500, context);
          assert.ok(raw.headers['x-request-id'], `X-Request-Id: ${context}`);
          if (raw.status >= 400 && method !== 'HEAD') assertError(asReply(raw), raw.status, raw.body?.code ?? '?');
        }
      }
    });
  });

  describe('details is always present (item 11)', () => {
    it('404, 413, 415 and 400 MALFORMED_JSON carry details: []', async () => {
      for (const [reply, status] of [
        [await send(fixture.app.url, '/api/warranties/999999'), 404],
        [await send(fixture.app.url, '/nowhere'), 404],
        [await post(fixture.app.url, `{"item_title":"${'x'.repeat(20_000)}"}`), 413],
        [await post(fixture.app.url, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415],
      ] as const) {
        assertError(reply, status, reply.body?.code);
        assert.deepEqual(reply.body.details, [], reply.text);
      }
    });
  });
});
