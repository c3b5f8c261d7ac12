/**
 * "At most two decimals" for amounts, as the extension `x-decimal-places` instead of
 * `multipleOf: 0.01`: validators that check multipleOf with binary floats reject valid amounts such
 * as 19.99 (19.99 / 0.01 is not an integer in floating point). Validators ignore `x-` keys; the
 * descriptions say the same in words.
 */
export const MONEY_DECIMALS = { 'x-decimal-places': 2 } as object;
