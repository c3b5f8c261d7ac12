/** Pricing: a pure function of (rules table, item_type, cost in cents) → plans, shortest first. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planPrice, priceItem } from '../../src/pricing/price-item.js';
import { PRICING_2026_11_01, SHIPPED_PRICING } from '../../src/pricing/pricing-rules.js';
import type { PricingTable } from '../../src/pricing/pricing-table.js';

const TYPES = Object.keys(PRICING_2026_11_01.itemTypes);

/** base + cost × rate, rounded half up to the cent, computed independently with BigInt division. */
function expectedPrice(baseCents: number, rateBasisPoints: number, costCents: number): number {
  const product = BigInt(costCents) * BigInt(rateBasisPoints);
  const whole = product / 10_000n;
  const remainder = product % 10_000n;
  return baseCents + Number(remainder * 2n >= 10_000n ? whole + 1n : whole);
}

const plans = (itemType: string, costCents: number) =>
  priceItem(PRICING_2026_11_01, itemType, costCents).map((p) => [p.durationMonths, p.priceCents]);

describe('priceItem', () => {
  it('prices the SPEC seed example: furniture at 150.00 → 12 months 20.00, 24 months 27.00', () => {
    assert.deepEqual(plans('furniture', 15_000), [
      [12, 2000],
      [24, 2700],
    ]);
  });

  it('the shipped table is the 2026-11-01 version', () => {
    assert.equal(SHIPPED_PRICING, PRICING_2026_11_01);
    assert.equal(PRICING_2026_11_01.version, '2026-11-01');
  });

  it('hand-checked prices for every type', () => {
    // electronics 333.33: 3.00 + 9 % = 32.9997 → 33.00; 5.00 + 15 % = 54.9995 → 55.00; 7.00 + 20 % = 73.666 → 73.67
    assert.deepEqual(plans('electronics', 33_333), [
      [12, 3300],
      [24, 5500],
      [36, 7367],
    ]);
    // appliances 1,000.00: 4 + 70 = 74.00; 6 + 120 = 126.00; 8 + 160 = 168.00
    assert.deepEqual(plans('appliances', 100_000), [
      [12, 7400],
      [24, 12_600],
      [36, 16_800],
    ]);
    // computers at its maximum 20,000.00: 5 + 2000; 5 + 3400; 5 + 4600
    assert.deepEqual(plans('computers', 2_000_000), [
      [12, 200_500],
      [24, 340_500],
      [36, 460_500],
    ]);
    // phones at its minimum 50.00: 3 + 6 = 9.00; 3 + 10 = 13.00
    assert.deepEqual(plans('phones', 5000), [
      [12, 900],
      [24, 1300],
    ]);
    // jewelry 25.25: 2 + 1.515 → 3.52 (half up); 3 + 2.525 → 5.53 (half up)
    assert.deepEqual(plans('jewelry', 2525), [
      [12, 352],
      [24, 553],
    ]);
    // mattresses 100.00 (24 and 36 months only): 5 + 6 = 11.00; 5 + 9 = 14.00
    assert.deepEqual(plans('mattresses', 10_000), [
      [24, 1100],
      [36, 1400],
    ]);
    // bicycles 1,234.56: 4 + 98.7648 → 102.76; 4 + 160.4928 → 164.49
    assert.deepEqual(plans('bicycles', 123_456), [
      [12, 10_276],
      [24, 16_449],
    ]);
  });

  it('rounds half up to the cent (not half-even, not truncated)', () => {
    // furniture 12 months = 5.00 + 10 %:  100.05 → 10.005 → 10.01;  100.04 → 10.004 → 10.00;  100.06 → 10.006 → 10.01
    assert.equal(plans('furniture', 10_005)[0][1], 1501);
    assert.equal(plans('furniture', 10_004)[0][1], 1500);
    assert.equal(plans('furniture', 10_006)[0][1], 1501);
    // 100.15 → 10.015 → 10.02 (half-even would give 10.02 too; 100.25 → 10.025 → 10.03 where half-even gives 10.02)
    assert.equal(plans('furniture', 10_025)[0][1], 1503);
    const rule = { durationMonths: 12, baseCents: 0, rateBasisPoints: 5000 }; // 50 %
    assert.equal(planPrice(rule, 1), 1); // 0.5 cent → 1
    assert.equal(planPrice(rule, 3), 2); // 1.5 → 2
    assert.equal(planPrice(rule, 5), 3); // 2.5 → 3
    assert.equal(planPrice({ ...rule, rateBasisPoints: 4999 }, 1), 0); // 0.4999 → 0
  });

  for (const itemType of TYPES) {
    const rule = PRICING_2026_11_01.itemTypes[itemType];
    it(`${itemType}: plans at both ends of ${rule.minCostCents / 100}–${rule.maxCostCents / 100}, sorted by duration; none just outside`, () => {
      const durations = rule.plans.map((plan) => plan.durationMonths).sort((a, b) => a - b);
      for (const cost of [
        rule.minCostCents,
        rule.minCostCents + 1,
        Math.round((rule.minCostCents + rule.maxCostCents) / 2),
        rule.maxCostCents - 1,
        rule.maxCostCents,
      ]) {
        const priced = priceItem(PRICING_2026_11_01, itemType, cost);
        assert.deepEqual(
          priced.map((plan) => plan.durationMonths),
          durations,
          `${itemType} at ${cost}`,
        );
        for (const plan of priced) {
          const planRule = rule.plans.find((r) => r.durationMonths === plan.durationMonths)!;
          assert.equal(
            plan.priceCents,
            expectedPrice(planRule.baseCents, planRule.rateBasisPoints, cost),
            `${itemType} ${plan.durationMonths} at ${cost}`,
          );
        }
      }
      for (const cost of [rule.minCostCents - 1, rule.maxCostCents + 1, 0, -1, -rule.minCostCents, 100_000_000]) {
        assert.deepEqual(priceItem(PRICING_2026_11_01, itemType, cost), [], `${itemType} at ${cost}`);
      }
    });

    it(`${itemType}: prices are whole cents, at least the base, and never fall as the cost rises`, () => {
      const steps = 400;
      const previous = new Map<number, number>();
      for (let i = 0; i <= steps; i++) {
        const cost = rule.minCostCents + Math.floor(((rule.maxCostCents - rule.minCostCents) * i) / steps);
        for (const plan of priceItem(PRICING_2026_11_01, itemType, cost)) {
          const planRule = rule.plans.find((r) => r.durationMonths === plan.durationMonths)!;
          assert.ok(Number.isSafeInteger(plan.priceCents), `${plan.priceCents}`);
          assert.ok(plan.priceCents >= planRule.baseCents);
          assert.ok(plan.priceCents >= (previous.get(plan.durationMonths) ?? 0), `${itemType} ${plan.durationMonths} at ${cost}`);
          previous.set(plan.durationMonths, plan.priceCents);
        }
      }
    });
  }

  it('sorts plans by duration even when the table lists them out of order', () => {
    const table: PricingTable = {
      version: 'test',
      itemTypes: {
        gadget: {
          minCostCents: 100,
          maxCostCents: 1000,
          plans: [
            { durationMonths: 36, baseCents: 300, rateBasisPoints: 0 },
            { durationMonths: 6, baseCents: 100, rateBasisPoints: 0 },
            { durationMonths: 24, baseCents: 200, rateBasisPoints: 0 },
          ],
        },
      },
    };
    assert.deepEqual(
      priceItem(table, 'gadget', 500).map((p) => p.durationMonths),
      [6, 24, 36],
    );
  });

  it('an unknown type gets no plan', () => {
    for (const itemType of ['spaceship', '', 'Furniture', 'FURNITURE', ' furniture', 'furniture ', 'furnitures', 'electronic']) {
      assert.deepEqual(priceItem(PRICING_2026_11_01, itemType, 15_000), [], JSON.stringify(itemType));
    }
  });

  it('object-prototype names as the type get no plan (and do not throw)', () => {
    for (const itemType of [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'isPrototypeOf',
      '__defineGetter__',
      'prototype',
    ]) {
      assert.deepEqual(priceItem(PRICING_2026_11_01, itemType, 15_000), [], itemType);
    }
  });

  it('is deterministic and pure: same input, same output; the table is not changed; results are fresh objects', () => {
    const before = JSON.stringify(PRICING_2026_11_01);
    const first = priceItem(PRICING_2026_11_01, 'electronics', 33_333);
    const second = priceItem(PRICING_2026_11_01, 'electronics', 33_333);
    assert.deepEqual(first, second);
    assert.notEqual(first, second);
    first[0].priceCents = 1;
    first.reverse();
    assert.deepEqual(priceItem(PRICING_2026_11_01, 'electronics', 33_333), second);
    assert.equal(JSON.stringify(PRICING_2026_11_01), before);
  });
});

describe('the 2026-11-01 rules table', () => {
  it('has a date-like version that fits the pricing_version column (32 chars)', () => {
    assert.match(PRICING_2026_11_01.version, /^\d{4}-\d\d-\d\d$/);
  });

  for (const itemType of TYPES) {
    it(`${itemType}: reachable through the API, sane range, unique positive durations, prices fit numeric(12,2)`, () => {
      assert.match(itemType, /^[a-z0-9_-]{1,64}$/, 'item_type must be something a POST can send');
      const rule = PRICING_2026_11_01.itemTypes[itemType];
      assert.ok(Number.isSafeInteger(rule.minCostCents) && rule.minCostCents > 0);
      assert.ok(Number.isSafeInteger(rule.maxCostCents) && rule.maxCostCents >= rule.minCostCents);
      assert.ok(rule.maxCostCents <= 100_000_000, 'within the 1,000,000.00 input cap');
      assert.ok(rule.plans.length > 0);
      const durations = rule.plans.map((plan) => plan.durationMonths);
      assert.equal(new Set(durations).size, durations.length, 'one plan per duration');
      for (const plan of rule.plans) {
        assert.ok(Number.isInteger(plan.durationMonths) && plan.durationMonths > 0 && plan.durationMonths < 32_768);
        assert.ok(Number.isSafeInteger(plan.baseCents) && plan.baseCents >= 0);
        assert.ok(Number.isSafeInteger(plan.rateBasisPoints) && plan.rateBasisPoints >= 0);
        assert.ok(planPrice(plan, rule.maxCostCents) < 1e12, 'numeric(12,2) holds at most 9,999,999,999.99');
      }
    });
  }
});
