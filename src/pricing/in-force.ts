import { isDefaultVersion, type PricingVersion, type VersionState } from './pricing-version.js';

/**
 * Which version is in force for whom, and when that changes. Pure functions of the published versions
 * and an instant (epoch ms); PricingCatalog holds the versions and asks these at every switch.
 * "Latest" is by effectiveFrom, then by publication order.
 */

const later = (a: PricingVersion, b: PricingVersion) =>
  a.effectiveFrom > b.effectiveFrom || (a.effectiveFrom === b.effectiveFrom && a.sequence > b.sequence);

const names = (version: PricingVersion, storeUuid: string | undefined) => storeUuid !== undefined && version.storeUuids.includes(storeUuid);

/**
 * The version in force for `storeUuid` at `t` (SPEC): the latest version naming that store with
 * effectiveFrom ≤ t; if none, the latest default version with effectiveFrom ≤ t. `storeUuid`
 * undefined: the default table (a store no version names). Undefined when nothing has started yet.
 */
export function inForce(versions: readonly PricingVersion[], storeUuid: string | undefined, t: number): PricingVersion | undefined {
  let own: PricingVersion | undefined;
  let fallback: PricingVersion | undefined;
  for (const version of versions) {
    if (version.effectiveFrom > t) continue;
    if (names(version, storeUuid)) {
      if (!own || later(version, own)) own = version;
    } else if (isDefaultVersion(version) && (!fallback || later(version, fallback))) fallback = version;
  }
  return own ?? fallback;
}

/** The earliest effectiveFrom after `t` of any version: when some store's table may change next. */
export function nextSwitch(versions: readonly PricingVersion[], t: number): number | undefined {
  let next: number | undefined;
  for (const version of versions)
    if (version.effectiveFrom > t && (next === undefined || version.effectiveFrom < next)) next = version.effectiveFrom;
  return next;
}

/**
 * The next scheduled version for `storeUuid` (undefined: the default table): the version that will
 * be in force for it at the first instant after `t` where its table changes. A default version
 * scheduled while the store has its own table in force is not its next one.
 */
export function nextFor(versions: readonly PricingVersion[], storeUuid: string | undefined, t: number): PricingVersion | undefined {
  const current = inForce(versions, storeUuid, t);
  const candidates = versions
    .filter((version) => version.effectiveFrom > t && (isDefaultVersion(version) || names(version, storeUuid)))
    .map((version) => version.effectiveFrom)
    .sort((a, b) => a - b);
  for (const at of candidates) {
    const then = inForce(versions, storeUuid, at);
    if (then !== current) return then;
  }
  return undefined;
}

/**
 * A version's state at `t`: scheduled before its time; in force while it is the table of at least
 * one store — a default version for every store without a table of its own, which is always some
 * store, since stores are created on first sight; superseded otherwise.
 */
export function stateOf(versions: readonly PricingVersion[], version: PricingVersion, t: number): VersionState {
  if (version.effectiveFrom > t) return 'scheduled';
  const stores = isDefaultVersion(version) ? [undefined] : version.storeUuids;
  return stores.some((storeUuid) => inForce(versions, storeUuid, t) === version) ? 'in_force' : 'superseded';
}

/** Every store's table at `t` in one lookup: the stores some version in force names, and the default for all others. */
export interface InForceSnapshot {
  fallback: PricingVersion | undefined;
  byStore: ReadonlyMap<string, PricingVersion>;
  /** The instant it stops being true (the next switch), or Infinity. */
  validUntil: number;
}

export function snapshotAt(versions: readonly PricingVersion[], t: number): InForceSnapshot {
  const started = versions.filter((version) => version.effectiveFrom <= t).sort((a, b) => (later(a, b) ? 1 : later(b, a) ? -1 : 0));
  const byStore = new Map<string, PricingVersion>();
  let fallback: PricingVersion | undefined;
  // Oldest first, so the latest version naming a store (or the latest default) is the one left.
  for (const version of started) {
    if (isDefaultVersion(version)) fallback = version;
    for (const storeUuid of version.storeUuids) byStore.set(storeUuid, version);
  }
  return { fallback, byStore, validUntil: nextSwitch(versions, t) ?? Infinity };
}
