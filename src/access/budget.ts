import type { KeyKind } from './api-key.js';

/** A token bucket's parameters (docs/contract/access.md#rate-limits): `rate` requests per second on average, at most `burst` at once. */
export interface Budget {
  rate: number;
  burst: number;
}

/**
 * The budget a key answers to: its own, if it was given one; else RATE_LIMIT_RATE / RATE_LIMIT_BURST
 * for a store key, and none (unlimited) for an admin key.
 */
export function budgetOf(kind: KeyKind, own: Budget | null, storeDefault: Budget): Budget | undefined {
  if (own) return own;
  return kind === 'store' ? storeDefault : undefined;
}

/** How `npm run keys -- list` shows a key's budget: its own, or which default applies. */
export function describeBudget(kind: KeyKind, own: Budget | null): string {
  if (own) return `${own.rate}/s burst ${own.burst}`;
  return kind === 'store' ? 'default' : 'unlimited';
}
