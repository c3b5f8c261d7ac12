import { DecimalField } from '../common/decimal-field.js';
import { trim, trimAndLowerCase, type TextRule } from '../common/text-field.js';
import { acceptedItemTypes } from './eligibility.js';
import { SHIPPED_PRICING } from './pricing-rules.js';

// The fields a price is computed from, and a pricing version's name: the same rules in every body that takes them.

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

export const ITEM_TYPE: TextRule = {
  description:
    `Kind of product, one of the types of the pricing table in force for the store (GET /api/pricing; the shipped version ` +
    `${SHIPPED_PRICING.version}: ${ITEM_TYPES.join(', ')}). Trimmed and lower-cased. A type a later version adds is accepted; ` +
    `a type the store's table does not price is well-formed but gets 422 ITEM_NOT_ELIGIBLE.`,
  example: 'furniture',
  extensions: ITEM_TYPE_VALUES,
  minLength: 1,
  maxLength: 64,
  characters: /^[a-z0-9_-]+$/,
  charactersMessage: 'may only contain a-z, 0-9, _ and - (it is lower-cased first)',
  normalise: trimAndLowerCase,
};

export const VERSION: TextRule = {
  description: 'Name of a pricing version, unique: recorded as `pricing_version` on every plan it prices. Trimmed.',
  example: '2027-01-01',
  minLength: 1,
  maxLength: 32,
  characters: /^[A-Za-z0-9._-]+$/,
  charactersMessage: 'may only contain A-Z, a-z, 0-9, ., _ and -',
  normalise: trim,
};

export const MAX_ITEM_COST = 1_000_000;

/** item_cost: a JSON number, > 0, ≤ 1,000,000, at most two decimals (POST bodies and quotes alike). */
export function ItemCost(): PropertyDecorator {
  return DecimalField({
    description:
      'Price of the item in currency units: a JSON number (not a string), > 0, ≤ 1,000,000, with at most 2 decimal places ' +
      '(19.99 yes, 19.999 no).',
    example: 150,
    min: { value: 0, exclusive: true },
    max: MAX_ITEM_COST,
    decimals: 2,
  });
}
