/** PricingService over a catalog of versions (a fake: the database side has its e2e tests). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Caller } from '../../src/access/api-key.js';
import { StoreMismatchError } from '../../src/access/store-access.js';
import { inForce } from '../../src/pricing/in-force.js';
import type { PricingCatalog } from '../../src/pricing/pricing-catalog.js';
import { PRICING_2026_11_01 } from '../../src/pricing/pricing-rules.js';
import type { PricingVersion } from '../../src/pricing/pricing-version.js';
import { ItemNotEligibleError } from '../../src/pricing/pricing.errors.js';
import { PricingService } from '../../src/pricing/pricing.service.js';

const shipped: PricingVersion = { table: PRICING_2026_11_01, effectiveFrom: 0, storeUuids: [], sequence: 1 };
const drones: PricingVersion = {
  table: {
    version: 'drones',
    itemTypes: {
      drones: { minCostCents: 100, maxCostCents: 1_000, plans: [{ durationMonths: 6, baseCents: 100, rateBasisPoints: 1000 }] },
    },
  },
  effectiveFrom: 0,
  storeUuids: ['store-d'],
  sequence: 2,
};
const later: PricingVersion = {
  table: { ...PRICING_2026_11_01, version: 'later' },
  effectiveFrom: Date.now() + 3_600_000,
  storeUuids: [],
  sequence: 3,
};
const versions = [shipped, drones, later];
const catalog = {
  inForce: (store: string | undefined) => inForce(versions, store, Date.now())!,
  all: () => versions,
} as unknown as PricingCatalog;
const service = new PricingService(catalog);

const admin: Caller = { kind: 'admin', keyPrefix: 'wsk_admin_000000000000' };
const storeD: Caller = { kind: 'store', keyPrefix: 'wsk_store_000000000000', storeUuid: 'store-d' };

describe('PricingService', () => {
  it('quote: the plans of the version in force for the item’s store, with its name', () => {
    assert.deepEqual(service.quote('any-store', 'furniture', 15_000), {
      pricingVersion: '2026-11-01',
      plans: [
        { durationMonths: 12, priceCents: 2000 },
        { durationMonths: 24, priceCents: 2700 },
      ],
    });
    assert.deepEqual(service.quote('store-d', 'drones', 500), {
      pricingVersion: 'drones',
      plans: [{ durationMonths: 6, priceCents: 150 }],
    });
    assert.deepEqual(service.quote('store-d', 'furniture', 15_000), { pricingVersion: 'drones', plans: [] });
  });

  it('refusal: the rule of the store’s own table, listing its accepted types', () => {
    assert.deepEqual(service.refusal('store-d', 'furniture', 15_000)?.details, [
      { field: 'item_type', message: 'is not a priced item type; accepted: drones' },
    ]);
    assert.equal(service.refusal('any-store', 'furniture', 15_000), undefined);
  });

  it('offer: plans, or ItemNotEligibleError naming the rule; a store key for its own store only', () => {
    assert.equal(service.offer(storeD, 'store-d', 'drones', 500).pricingVersion, 'drones');
    assert.throws(
      () => service.offer(admin, 'store-d', 'drones', 5_000),
      (error: unknown) => {
        assert.ok(error instanceof ItemNotEligibleError);
        assert.deepEqual(error.details, [{ field: 'item_cost', message: 'must be from 1 to 10 for item_type "drones"' }]);
        return true;
      },
    );
    assert.throws(() => service.offer(storeD, 'any-store', 'furniture', 15_000), StoreMismatchError);
  });

  it('tableFor: a store key its own store; an admin the default or the named store; with the next version for that caller', () => {
    const own = service.tableFor(storeD, undefined);
    assert.equal(own.version, drones);
    assert.equal(own.next, undefined, 'a later default version does not replace a store’s own table');
    assert.throws(() => service.tableFor(storeD, 'any-store'), StoreMismatchError);
    assert.deepEqual([service.tableFor(admin, undefined).version, service.tableFor(admin, undefined).next], [shipped, later]);
    assert.equal(service.tableFor(admin, 'store-d').version, drones);
  });
});
