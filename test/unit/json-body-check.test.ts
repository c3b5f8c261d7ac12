/**
 * The nesting limit of a parsed body at its boundary (the top-level object or array is level 1): a body
 * MAX_JSON_DEPTH levels deep passes, one level more is refused, named by its top-level field. The
 * same over HTTP, where validation would refuse the deep value too but says something else:
 * test/e2e/http-protocol.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonBodyProblems, MAX_JSON_DEPTH } from '../../src/http/json-body-check.js';

/** JSON text of `levels` nested containers around a scalar: arrays, objects, or both in turn. */
function nested(levels: number, kind: 'arrays' | 'objects' | 'mixed'): string {
  let text = '"leaf"';
  for (let level = levels; level >= 1; level--) {
    const array = kind === 'arrays' || (kind === 'mixed' && level % 2 === 1);
    text = array ? `[${text}]` : `{"a":${text}}`;
  }
  return text;
}

const TOO_DEEP = `is nested more than ${MAX_JSON_DEPTH} levels deep`;

describe('jsonBodyProblems: the nesting limit', () => {
  it('is 32 levels', () => assert.equal(MAX_JSON_DEPTH, 32));

  for (const kind of ['arrays', 'objects', 'mixed'] as const) {
    it(`a whole body of ${kind}: ${MAX_JSON_DEPTH - 1} and ${MAX_JSON_DEPTH} levels pass, ${MAX_JSON_DEPTH + 1} are refused`, () => {
      // Named by its top-level key: "a" in an object, "body" for a top-level array.
      const field = kind === 'objects' ? 'a' : 'body';
      assert.deepEqual(jsonBodyProblems(JSON.parse(nested(MAX_JSON_DEPTH - 1, kind))), []);
      assert.deepEqual(jsonBodyProblems(JSON.parse(nested(MAX_JSON_DEPTH, kind))), []);
      assert.deepEqual(jsonBodyProblems(JSON.parse(nested(MAX_JSON_DEPTH + 1, kind))), [{ field, message: TOO_DEEP }]);
    });

    it(`a field of ${kind} (the body is one level more): the body at ${MAX_JSON_DEPTH} passes, at ${MAX_JSON_DEPTH + 1} the field is named`, () => {
      const body = (levels: number) => JSON.parse(`{"item_sku":"x","item_cost":${nested(levels - 1, kind)}}`);
      assert.deepEqual(jsonBodyProblems(body(MAX_JSON_DEPTH - 1)), []);
      assert.deepEqual(jsonBodyProblems(body(MAX_JSON_DEPTH)), []);
      assert.deepEqual(jsonBodyProblems(body(MAX_JSON_DEPTH + 1)), [{ field: 'item_cost', message: TOO_DEEP }]);
    });
  }

  it('counts the deepest path, not the number of containers: many siblings at the limit pass', () => {
    const wide = JSON.parse(`{"a":[${Array.from({ length: 50 }, () => nested(MAX_JSON_DEPTH - 2, 'mixed')).join(',')}]}`);
    assert.deepEqual(jsonBodyProblems(wide), []);
  });
});
