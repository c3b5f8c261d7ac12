import type { PlanRule, PricingTable } from './pricing-table.js';

const plan = (durationMonths: number, base: number, ratePercent: number): PlanRule => ({
  durationMonths,
  baseCents: Math.round(base * 100),
  rateBasisPoints: Math.round(ratePercent * 100),
});

const range = (min: number, max: number) => ({ minCostCents: Math.round(min * 100), maxCostCents: Math.round(max * 100) });

/**
 * The table the service shipped with, 2026-11-01: the first default version, which the pricing
 * migration seeds (effective from the beginning). Prices change by publishing versions through the
 * API (README "Pricing"), never here. The code keeps it for what must not depend on the database:
 * the OpenAPI document's examples, and tests that check the seed against it.
 * Seed example: furniture at 150.00 → 12 months 5.00 + 10 % = 20.00, 24 months 6.00 + 14 % = 27.00.
 */
export const PRICING_2026_11_01: PricingTable = {
  version: '2026-11-01',
  itemTypes: {
    furniture: { ...range(50, 10_000), plans: [plan(12, 5, 10), plan(24, 6, 14)] },
    electronics: { ...range(20, 20_000), plans: [plan(12, 3, 9), plan(24, 5, 15), plan(36, 7, 20)] },
    appliances: { ...range(50, 15_000), plans: [plan(12, 4, 7), plan(24, 6, 12), plan(36, 8, 16)] },
    computers: { ...range(100, 20_000), plans: [plan(12, 5, 10), plan(24, 5, 17), plan(36, 5, 23)] },
    phones: { ...range(50, 5_000), plans: [plan(12, 3, 12), plan(24, 3, 20)] },
    jewelry: { ...range(25, 50_000), plans: [plan(12, 2, 6), plan(24, 3, 10)] },
    mattresses: { ...range(100, 8_000), plans: [plan(24, 5, 6), plan(36, 5, 9)] },
    bicycles: { ...range(100, 15_000), plans: [plan(12, 4, 8), plan(24, 4, 13)] },
  },
};

/** The default shipped version (see PRICING_2026_11_01). */
export const SHIPPED_PRICING: PricingTable = PRICING_2026_11_01;

/** The seeded version holds from the beginning: every warranty priced before versions were data is explained by it. */
export const SHIPPED_EFFECTIVE_FROM = new Date(0);
