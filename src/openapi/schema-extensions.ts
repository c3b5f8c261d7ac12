import { acceptedItemTypes } from '../pricing/eligibility.js';
import { SHIPPED_PRICING } from '../pricing/pricing-rules.js';

/**
 * "At most two decimals" for amounts, as the extension `x-decimal-places` instead of
 * `multipleOf: 0.01`: validators that check multipleOf with binary floats reject valid amounts such
 * as 19.99 (19.99 / 0.01 is not an integer in floating point). Validators ignore `x-` keys; the
 * descriptions say the same in words.
 */
export const MONEY_DECIMALS = { 'x-decimal-places': 2 } as object;

/** The item types the active pricing table prices, sorted. */
export const ITEM_TYPES: readonly string[] = acceptedItemTypes(SHIPPED_PRICING);

/**
 * The item types, published as an open list: `x-extensible-enum` (Zalando's convention for an enum
 * that may grow) and the descriptions name them, but there is no `enum` — an unknown type is a
 * well-formed request that gets 422 ITEM_NOT_ELIGIBLE (not 400), and the list changes with the
 * pricing version, so generated clients must not turn it into a closed type. GET /api/pricing
 * serves the same list.
 */
export const ITEM_TYPE_VALUES = { 'x-extensible-enum': ITEM_TYPES } as object;
