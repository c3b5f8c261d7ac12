/** Keyset cursors: opaque on the wire, and only the ones this API issued are accepted. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor } from '../../src/warranties/page-cursor.js';

const b64url = (text: string) => Buffer.from(text).toString('base64url');

describe('page cursor', () => {
  it('round-trips ids from 1 to 2^53 − 1', () => {
    for (const id of [
      1,
      2,
      9,
      10,
      42,
      99,
      100,
      1000,
      65_535,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 + 1,
      10_000_000,
      123_456_789_012,
      Number.MAX_SAFE_INTEGER,
    ]) {
      const cursor = encodeCursor(id);
      assert.match(cursor, /^[A-Za-z0-9_-]+$/, 'URL-safe, no padding');
      assert.equal(decodeCursor(cursor), id, `${id} → ${cursor}`);
    }
    for (let id = 1; id <= 5000; id++) assert.equal(decodeCursor(encodeCursor(id)), id);
  });

  it('is opaque: the id does not appear in clear text', () => {
    assert.ok(!encodeCursor(123456).includes('123456'));
  });

  it('different ids give different cursors', () => {
    const cursors = new Set(Array.from({ length: 1000 }, (_, i) => encodeCursor(i + 1)));
    assert.equal(cursors.size, 1000);
  });

  it('rejects strings it did not issue', () => {
    for (const cursor of [
      '',
      'garbage!',
      'zzz',
      '42',
      'djE6NDI=', // padded base64 of "v1:42"
      'djE6NDI==',
      'd jE6NDI',
      'djE6NDI\n',
      'A'.repeat(41),
      'A'.repeat(400),
      b64url('v1:0'),
      b64url('v1:-1'),
      b64url('v1:01'),
      b64url('v1:1.5'),
      b64url('v1:1e3'),
      b64url('v1: 5'),
      b64url('v1:5 '),
      b64url('v1:'),
      b64url('v1:abc'),
      b64url('v2:5'),
      b64url('V1:5'),
      b64url('5'),
      b64url('v1:9223372036854775808'), // beyond bigint
      b64url('v1:99999999999999999999'),
      b64url('v1:9007199254740993'), // beyond 2^53: would not round-trip through a JS number
      b64url('v1:5\u0000'),
    ]) {
      assert.equal(decodeCursor(cursor), undefined, JSON.stringify(cursor));
    }
  });

  it('rejects a real cursor with a changed, added or removed character: never its id, never an alias of another id', () => {
    let rejected = 0;
    let otherIds = 0;
    for (const id of [4, 42, 1234, 987_654_321]) {
      const cursor = encodeCursor(id);
      const variants: string[] = [];
      for (let i = 0; i < cursor.length; i++) {
        for (const replacement of ['A', 'B', 'Q', 'g', 'w', '_', '-', '0']) {
          if (replacement !== cursor[i]) variants.push(cursor.slice(0, i) + replacement + cursor.slice(i + 1));
        }
      }
      variants.push(`${cursor}A`, `${cursor}w`, cursor.slice(0, -1), cursor.slice(1), `A${cursor}`);
      for (const variant of variants) {
        const decoded = decodeCursor(variant);
        assert.notEqual(decoded, id, `${variant} must not decode to ${id} as well`);
        // Either refused, or exactly the cursor another id would get (so never an ambiguous alias).
        const own = decoded === undefined ? undefined : encodeCursor(decoded);
        assert.ok(decoded === undefined || own === variant, `${variant} decoded to ${decoded}, whose own cursor is ${own}`);
        if (decoded === undefined) rejected++;
        else otherIds++;
      }
    }
    // Both outcomes really occur, so neither branch above is vacuous.
    assert.ok(rejected > 100, `${rejected} variants refused`);
    assert.ok(otherIds > 0, `${otherIds} variants are another id's own cursor`);
  });

  it('rejects the same cursor in standard (padded) base64', () => {
    for (const id of [4, 42, 1234, 99_999]) {
      const standard = Buffer.from(`v1:${id}`).toString('base64');
      assert.notEqual(standard, encodeCursor(id), `${id}: the standard form differs (padding)`);
      assert.equal(decodeCursor(standard), undefined, standard);
    }
  });
});
