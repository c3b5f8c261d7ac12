/**
 * Money travels as integer cents inside the service: exact, and safe up to 9e13 (far above the 1,000,000.00 cap).
 * PostgreSQL keeps numeric(12,2); the wire carries JSON numbers with at most two decimals.
 */
export type Cents = number;

/** A validated JSON amount (≤ 2 decimals) to cents; rounding only absorbs binary noise such as 0.1 + 0.2. */
export function centsFromAmount(amount: number): Cents {
  return Math.round(amount * 100);
}

/** PostgreSQL numeric text ("150.00", "7", "-3.5") to cents, without passing through a float. */
export function centsFromDecimal(text: string): Cents {
  const match = /^(-?)(\d+)(?:\.(\d{1,2})\d*)?$/.exec(text.trim());
  if (!match) throw new Error(`Not a decimal amount: ${text}`);
  const [, sign, whole, fraction = ''] = match;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return sign === '-' ? -cents : cents;
}

/** Cents to the exact decimal text PostgreSQL stores. */
export function centsToDecimal(cents: Cents): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Cents to the JSON number on the wire; n/100 prints with at most two decimals (e.g. 1999 → 19.99). */
export function centsToAmount(cents: Cents): number {
  return cents / 100;
}
