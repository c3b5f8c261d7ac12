/** Eligibility: which pricing rule an item fails (pure), its 422 wording, and the table as GET /api/pricing shows it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptedItemTypes, explainEligibility, ineligibilityProblem } from '../../src/pricing/eligibility.js';
import { priceItem } from '../../src/pricing/price-item.js';
import { PRICING_2026_11_01 } from '../../src/pricing/pricing-rules.js';
import type { PricingTable } from '../../src/pricing/pricing-table.js';
import { itemTypesView, pricingTableView } from '../../src/pricing/pricing-table.view.js';

const TABLE: PricingTable = {
  version: 'test-1',
  itemTypes: {
    zebra: { minCostCents: 1_000, maxCostCents: 2_000, plans: [{ durationMonths: 12, baseCents: 100, rateBasisPoints: 1_000 }] },
    apple: {
      minCostCents: 500,
      maxCostCents: 500,
      plans: [
        { durationMonths: 24, baseCents: 0, rateBasisPoints: 1_450 },
        { durationMonths: 12, baseCents: 250, rateBasisPoints: 5 },
      ],
    },
  },
};

describe('explainEligibility', () => {
  it('an unknown type names the rule and lists the accepted types, sorted', () => {
    assert.deepEqual(explainEligibility(TABLE, 'spaceships', 1_500), {
      eligible: false,
      rule: 'unknown_item_type',
      acceptedTypes: ['apple', 'zebra'],
    });
  });

  it('inherited object keys are not item types', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      assert.equal(explainEligibility(TABLE, name, 1_500).eligible, false, name);
    }
  });

  it('a cost outside the inclusive range names the rule and the range', () => {
    for (const cost of [999, 2_001, 0, Number.MAX_SAFE_INTEGER]) {
      assert.deepEqual(explainEligibility(TABLE, 'zebra', cost), {
        eligible: false,
        rule: 'cost_out_of_range',
        minCostCents: 1_000,
        maxCostCents: 2_000,
      });
    }
  });

  it('the range bounds themselves are eligible', () => {
    for (const cost of [1_000, 1_500, 2_000]) assert.deepEqual(explainEligibility(TABLE, 'zebra', cost), { eligible: true });
    assert.deepEqual(explainEligibility(TABLE, 'apple', 500), { eligible: true });
  });

  it('agrees with priceItem on the active table: eligible exactly when plans are offered', () => {
    const types = [...Object.keys(PRICING_2026_11_01.itemTypes), 'spaceships', 'Furniture'];
    for (const type of types) {
      for (const cost of [1, 1_999, 2_000, 2_500, 5_000, 10_000, 15_000, 500_000, 800_001, 1_500_001, 2_000_001, 5_000_001, 100_000_000]) {
        const eligible = explainEligibility(PRICING_2026_11_01, type, cost).eligible;
        assert.equal(eligible, priceItem(PRICING_2026_11_01, type, cost).length > 0, `${type} at ${cost}`);
      }
    }
  });

  it('the SPEC seed example is eligible', () => {
    assert.deepEqual(explainEligibility(PRICING_2026_11_01, 'furniture', 15_000), { eligible: true });
  });
});

describe('ineligibilityProblem', () => {
  it('an unknown type: field item_type, listing the accepted types', () => {
    const eligibility = explainEligibility(PRICING_2026_11_01, 'spaceships', 15_000);
    assert.ok(!eligibility.eligible);
    const problem = ineligibilityProblem(eligibility, 'spaceships', 15_000);
    assert.deepEqual(problem.details, [
      {
        field: 'item_type',
        message:
          'is not a priced item type; accepted: appliances, bicycles, computers, electronics, furniture, jewelry, mattresses, phones',
      },
    ]);
    assert.match(problem.message, /"spaceships"/);
  });

  it('a cost out of range: field item_cost, giving the range in currency units', () => {
    const eligibility = explainEligibility(PRICING_2026_11_01, 'furniture', 1_050);
    assert.ok(!eligibility.eligible);
    const problem = ineligibilityProblem(eligibility, 'furniture', 1_050);
    assert.deepEqual(problem.details, [{ field: 'item_cost', message: 'must be from 50 to 10000 for item_type "furniture"' }]);
    assert.match(problem.message, /item_cost 10\.5\b/);
  });
});

describe('pricingTableView', () => {
  it('money as JSON numbers, rates as fractions, types by name, plans by duration', () => {
    assert.deepEqual(pricingTableView({ table: TABLE, effectiveFrom: 0, storeUuids: [], sequence: 1 }, undefined), {
      version: 'test-1',
      effective_from: '1970-01-01T00:00:00.000Z',
      next: null,
      item_types: [
        {
          item_type: 'apple',
          min_cost: 5,
          max_cost: 5,
          plans: [
            { duration_months: 12, base: 2.5, rate: 0.0005 },
            { duration_months: 24, base: 0, rate: 0.145 },
          ],
        },
        { item_type: 'zebra', min_cost: 10, max_cost: 20, plans: [{ duration_months: 12, base: 1, rate: 0.1 }] },
      ],
    });
  });

  it('names the next version scheduled for the caller, with its instant', () => {
    const version = { table: TABLE, effectiveFrom: 0, storeUuids: [], sequence: 1 };
    const next = { table: { ...TABLE, version: 'test-2' }, effectiveFrom: Date.parse('2027-01-01T00:00:00Z'), storeUuids: [], sequence: 2 };
    assert.deepEqual(pricingTableView(version, next).next, { version: 'test-2', effective_from: '2027-01-01T00:00:00.000Z' });
  });

  it('the shipped table: furniture 50–10000, 12 months 5 + 0.10, 24 months 6 + 0.14 (the SPEC example)', () => {
    const view = { version: PRICING_2026_11_01.version, item_types: itemTypesView(PRICING_2026_11_01) };
    assert.equal(view.version, '2026-11-01');
    assert.deepEqual(
      view.item_types.find((t) => t.item_type === 'furniture'),
      {
        item_type: 'furniture',
        min_cost: 50,
        max_cost: 10000,
        plans: [
          { duration_months: 12, base: 5, rate: 0.1 },
          { duration_months: 24, base: 6, rate: 0.14 },
        ],
      },
    );
    assert.deepEqual(
      view.item_types.map((t) => t.item_type),
      acceptedItemTypes(PRICING_2026_11_01),
    );
  });

  it('recomputing every plan price from the published numbers gives priceItem’s prices', () => {
    for (const type of itemTypesView(PRICING_2026_11_01)) {
      for (const cost of [type.min_cost, (type.min_cost + type.max_cost) / 2, type.max_cost, 333.33]) {
        if (cost < type.min_cost || cost > type.max_cost) continue;
        const costCents = Math.round(cost * 100);
        const fromView = type.plans.map((p) => [
          p.duration_months,
          Math.round(p.base * 100) + Math.floor((costCents * Math.round(p.rate * 10_000) + 5_000) / 10_000),
        ]);
        const fromRules = priceItem(PRICING_2026_11_01, type.item_type, costCents).map((p) => [p.durationMonths, p.priceCents]);
        assert.deepEqual(fromView, fromRules, `${type.item_type} at ${cost}`);
      }
    }
  });
});
