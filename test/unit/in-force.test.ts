/** The in-force resolver (src/pricing/in-force.ts): pure functions of the versions and an instant. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inForce, nextFor, nextSwitch, snapshotAt, stateOf } from '../../src/pricing/in-force.js';
import type { PricingVersion } from '../../src/pricing/pricing-version.js';

let sequence = 0;
const version = (name: string, effectiveFrom: number, storeUuids: string[] = []): PricingVersion => ({
  table: { version: name, itemTypes: {} },
  effectiveFrom,
  storeUuids,
  sequence: ++sequence,
});

const shipped = version('shipped', 0);
const default100 = version('default-100', 100);
const default300 = version('default-300', 300);
const storeA200 = version('a-200', 200, ['a']);
const storeAB250 = version('ab-250', 250, ['a', 'b']);
const storeA400 = version('a-400', 400, ['a']);
const ALL = [default300, storeA400, shipped, storeAB250, default100, storeA200];

const names = (versions: (PricingVersion | undefined)[]) => versions.map((v) => v?.table.version);

describe('inForce', () => {
  it('a store without a version of its own: the latest default version whose time has come', () => {
    assert.deepEqual(names([0, 99, 100, 299, 300, 10_000].map((t) => inForce(ALL, 'c', t))), [
      'shipped',
      'shipped',
      'default-100',
      'default-100',
      'default-300',
      'default-300',
    ]);
    assert.equal(inForce(ALL, undefined, 250)?.table.version, 'default-100', 'the default table: no store named');
  });

  it('a store with versions of its own: the latest of them whose time has come, else the default', () => {
    assert.deepEqual(names([150, 200, 249, 250, 399, 400].map((t) => inForce(ALL, 'a', t))), [
      'default-100',
      'a-200',
      'a-200',
      'ab-250',
      'ab-250',
      'a-400',
    ]);
    // A later default does not replace a store's own table (it is the store's whole table, not an overlay).
    assert.equal(inForce(ALL, 'b', 300)?.table.version, 'ab-250');
  });

  it('the same effective_from: the later published version wins; nothing started: undefined', () => {
    const first = version('first', 500);
    const second = version('second', 500);
    assert.equal(inForce([second, first], 'x', 500)?.table.version, 'second');
    assert.equal(inForce([version('future', 1_000)], 'x', 999), undefined);
  });

  it('snapshotAt answers what inForce answers, for every store and instant, until validUntil', () => {
    for (let t = -1; t <= 450; t += 7) {
      const snapshot = snapshotAt(ALL, t);
      assert.equal(snapshot.validUntil, nextSwitch(ALL, t) ?? Infinity);
      for (const store of ['a', 'b', 'c', undefined]) {
        const fromSnapshot = (store !== undefined ? snapshot.byStore.get(store) : undefined) ?? snapshot.fallback;
        assert.equal(fromSnapshot, inForce(ALL, store, t), `${store} at ${t}`);
      }
    }
  });
});

describe('nextSwitch and nextFor', () => {
  it('nextSwitch: the earliest effective_from after t, or undefined', () => {
    assert.deepEqual(
      [0, 100, 250, 399, 400].map((t) => nextSwitch(ALL, t)),
      [100, 200, 300, 400, undefined],
    );
  });

  it('nextFor: the version that will replace the caller’s table next; a default version does not replace a store’s own', () => {
    assert.equal(nextFor(ALL, 'c', 150)?.table.version, 'default-300');
    assert.equal(nextFor(ALL, undefined, 0)?.table.version, 'default-100');
    assert.equal(nextFor(ALL, 'a', 150)?.table.version, 'a-200');
    assert.equal(nextFor(ALL, 'a', 260)?.table.version, 'a-400', 'default-300 at 300 does not change store a’s table');
    assert.equal(nextFor(ALL, 'b', 260), undefined);
    assert.equal(nextFor(ALL, 'a', 400), undefined);
  });
});

describe('stateOf', () => {
  it('scheduled before its time; in force while it is some store’s table; superseded after', () => {
    const at = (t: number) => Object.fromEntries(ALL.map((v) => [v.table.version, stateOf(ALL, v, t)]));
    assert.deepEqual(at(150), {
      shipped: 'superseded',
      'default-100': 'in_force',
      'a-200': 'scheduled',
      'ab-250': 'scheduled',
      'default-300': 'scheduled',
      'a-400': 'scheduled',
    });
    // ab-250 no longer prices store a after 400, but still prices store b.
    assert.deepEqual(at(400), {
      shipped: 'superseded',
      'default-100': 'superseded',
      'a-200': 'superseded',
      'ab-250': 'in_force',
      'default-300': 'in_force',
      'a-400': 'in_force',
    });
  });
});
