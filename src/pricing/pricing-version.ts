import type { PricingTable } from './pricing-table.js';

/** A published price list: its table, from when it holds, and for whom (SPEC, Pricing versions). */
export interface PricingVersion {
  table: PricingTable;
  /** Epoch milliseconds. */
  effectiveFrom: number;
  /** Empty: a default version, for every store; otherwise only these stores, as their whole table. */
  storeUuids: readonly string[];
  /** Publication order: among versions with the same effectiveFrom, the later published one wins. */
  sequence: number;
}

/** What GET /api/pricing/versions says of a version at an instant. */
export type VersionState = 'scheduled' | 'in_force' | 'superseded';

export const isDefaultVersion = (version: PricingVersion) => version.storeUuids.length === 0;
