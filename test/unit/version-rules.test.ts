/** The 422 rules of a pricing version (src/pricing/version-rules.ts) and the instant format of effective_from. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInstant } from '../../src/common/instant.js';
import { PRICING_2026_11_01 } from '../../src/pricing/pricing-rules.js';
import { pricingProblems, tableOf, type VersionDraft } from '../../src/pricing/version-rules.js';

const NOW = Date.parse('2027-01-01T00:00:00Z');

const draft = (patch: Partial<VersionDraft> = {}): VersionDraft => ({
  version: 'v',
  effectiveFrom: NOW,
  storeUuids: [],
  itemTypes: Object.entries(PRICING_2026_11_01.itemTypes).map(([itemType, rule]) => ({ itemType, ...rule })),
  ...patch,
});

const fields = (d: VersionDraft, now = NOW) => pricingProblems(d, now).map((problem) => problem.field);

describe('pricingProblems', () => {
  it('the shipped table breaks no rule, and its table is the shipped one', () => {
    assert.deepEqual(pricingProblems(draft(), NOW), []);
    assert.deepEqual(tableOf({ ...draft(), version: '2026-11-01' }), PRICING_2026_11_01);
  });

  it('effective_from: up to a minute in the past is fine, more is not', () => {
    assert.deepEqual(fields(draft({ effectiveFrom: NOW - 60_000 })), []);
    assert.deepEqual(fields(draft({ effectiveFrom: NOW - 60_001 })), ['effective_from']);
    assert.deepEqual(fields(draft({ effectiveFrom: NOW + 86_400_000 })), []);
  });

  it('a type twice, a store twice, min_cost ≥ max_cost', () => {
    const plans = [{ durationMonths: 12, baseCents: 100, rateBasisPoints: 100 }];
    const itemTypes = [
      { itemType: 'x', minCostCents: 100, maxCostCents: 200, plans },
      { itemType: 'y', minCostCents: 200, maxCostCents: 200, plans },
      { itemType: 'x', minCostCents: 300, maxCostCents: 200, plans },
    ];
    assert.deepEqual(fields(draft({ itemTypes, storeUuids: ['a', 'b', 'a', 'a'] })), [
      'store_uuids[2]',
      'store_uuids[3]',
      'item_types[2].item_type',
      'item_types[1].min_cost',
      'item_types[2].min_cost',
    ]);
  });

  it('a duration twice or not 1–120 months', () => {
    const plan = (durationMonths: number) => ({ durationMonths, baseCents: 100, rateBasisPoints: 100 });
    const itemTypes = [{ itemType: 'x', minCostCents: 100, maxCostCents: 200, plans: [plan(0), plan(1), plan(120), plan(121), plan(1)] }];
    assert.deepEqual(fields(draft({ itemTypes })), [
      'item_types[0].plans[0].duration_months',
      'item_types[0].plans[3].duration_months',
      'item_types[0].plans[4].duration_months',
    ]);
  });

  it('a price ≤ 0 anywhere in the range (after rounding to the cent)', () => {
    const type = (baseCents: number, rateBasisPoints: number, minCostCents = 100) => ({
      itemType: 'x',
      minCostCents,
      maxCostCents: 10_000,
      plans: [{ durationMonths: 12, baseCents, rateBasisPoints }],
    });
    assert.deepEqual(fields(draft({ itemTypes: [type(0, 0)] })), ['item_types[0].plans[0]']);
    // 0.49 % of 1.00 = 0.0049 → 0.00; 0.5 % of 1.00 = 0.005 → 0.01 (half up).
    assert.deepEqual(fields(draft({ itemTypes: [type(0, 49)] })), ['item_types[0].plans[0]']);
    assert.deepEqual(fields(draft({ itemTypes: [type(0, 50)] })), []);
    assert.deepEqual(fields(draft({ itemTypes: [type(1, 0)] })), []);
  });
});

describe('parseInstant', () => {
  it('ISO 8601 instants with an offset', () => {
    assert.equal(parseInstant('2027-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'));
    assert.equal(parseInstant('2027-01-01T01:00:00.5+01:00'), Date.parse('2027-01-01T00:00:00.500Z'));
    assert.equal(parseInstant('2028-02-29T23:59:59-05:30'), Date.parse('2028-03-01T05:29:59Z'));
  });

  it('nothing else: no offset, a date alone, days and times that do not exist', () => {
    for (const text of [
      '2027-01-01T00:00:00',
      '2027-01-01',
      '2027-02-29T00:00:00Z',
      '2027-04-31T00:00:00Z',
      '2027-13-01T00:00:00Z',
      '2027-01-01T24:00:00Z',
      '2027-01-01T00:00:60Z',
      '2027-01-01T00:00:00+25:00',
      'now',
      ' 2027-01-01T00:00:00Z',
    ]) {
      assert.equal(parseInstant(text), undefined, text);
    }
  });
});
