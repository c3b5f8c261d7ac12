import { defineEntity, p, type TriggerDef } from '@mikro-orm/core';

/** Published versions never change (warranties name the version that priced them): the database refuses any UPDATE; a withdrawal deletes. */
const immutable = (table: string): TriggerDef[] => [
  {
    name: `${table}_immutable`,
    timing: 'before',
    events: ['update'],
    forEach: 'statement',
    body: `raise exception 'a published pricing version never changes (${table} is read-only): publish a new version' using errcode = 'integrity_constraint_violation'`,
  },
];

/**
 * A published price list (SPEC, Pricing versions). Never updated: a scheduled version may only be
 * deleted (withdrawn) before its time, which removes its item types and plans with it. `id` is the
 * publication order, which breaks ties between versions with the same `effective_from`.
 * `store_uuids` empty: a default version, for every store; otherwise that list's whole table.
 */
export const PricingVersionSchema = defineEntity({
  name: 'PricingVersion',
  tableName: 'pricing_version',
  triggers: immutable('pricing_version'),
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    version: p.string().length(32).unique('pricing_version_version_unique'),
    effectiveFrom: p.datetime(),
    storeUuids: p.array().defaultRaw("'{}'"),
    publishedAt: p.datetime().defaultRaw('now()'),
  },
});

/** One item type a version prices, with its inclusive eligible cost range. */
export const PricingItemTypeSchema = defineEntity({
  name: 'PricingItemType',
  tableName: 'pricing_item_type',
  triggers: immutable('pricing_item_type'),
  uniques: [{ name: 'pricing_item_type_version_type_unique', properties: ['pricingVersion', 'itemType'] }],
  checks: [{ name: 'pricing_item_type_range_check', expression: 'min_cost > 0 AND min_cost < max_cost' }],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    pricingVersion: p
      .manyToOne(PricingVersionSchema)
      .fieldName('version_id')
      .foreignKeyName('pricing_item_type_version_id_fkey')
      .deleteRule('cascade'),
    itemType: p.string().length(64),
    minCost: p.decimal('string').precision(12).scale(2),
    maxCost: p.decimal('string').precision(12).scale(2),
  },
});

/** One plan of an item type: price = base + rate × cost, rounded half up to the cent; rate in basis points. */
export const PricingPlanSchema = defineEntity({
  name: 'PricingPlan',
  tableName: 'pricing_plan',
  triggers: immutable('pricing_plan'),
  uniques: [{ name: 'pricing_plan_item_type_duration_unique', properties: ['itemType', 'durationMonths'] }],
  checks: [
    { name: 'pricing_plan_duration_months_check', expression: 'duration_months >= 1 AND duration_months <= 120' },
    { name: 'pricing_plan_base_check', expression: 'base >= 0' },
    { name: 'pricing_plan_rate_check', expression: 'rate_basis_points >= 0 AND rate_basis_points <= 10000' },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    itemType: p
      .manyToOne(PricingItemTypeSchema)
      .fieldName('item_type_id')
      .foreignKeyName('pricing_plan_item_type_id_fkey')
      .deleteRule('cascade'),
    durationMonths: p.smallint(),
    base: p.decimal('string').precision(12).scale(2),
    rateBasisPoints: p.integer(),
  },
});
