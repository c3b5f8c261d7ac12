/** Money helpers: integer cents inside, exact numeric text for PostgreSQL, ≤ 2-decimal JSON numbers on the wire. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { centsFromAmount, centsFromDecimal, centsToAmount, centsToDecimal } from '../../src/common/money.js';

const WIRE = /^\d+(\.\d{1,2})?$/;

describe('centsFromAmount', () => {
  it('converts validated JSON amounts exactly', () => {
    assert.equal(centsFromAmount(150), 15_000);
    assert.equal(centsFromAmount(150.0), 15_000);
    assert.equal(centsFromAmount(19.99), 1999);
    assert.equal(centsFromAmount(0.01), 1);
    assert.equal(centsFromAmount(0.1), 10);
    assert.equal(centsFromAmount(1_000_000), 100_000_000);
    assert.equal(centsFromAmount(999_999.99), 99_999_999);
    assert.equal(centsFromAmount(1.15), 115); // 1.15 * 100 = 114.99999999999999
    assert.equal(centsFromAmount(4.35), 435); // 434.99999999999994
    assert.equal(centsFromAmount(0.1 + 0.2), 30);
  });

  it('round-trips every amount with at most 2 decimals from 0.00 to 1,000.00 and near the 1,000,000 cap', () => {
    for (const ranges of [
      [0, 100_000],
      [99_990_000, 100_000_000],
    ]) {
      for (let cents = ranges[0]; cents <= ranges[1]; cents++) {
        const amount = Number(centsToDecimal(cents)); // how JSON.parse reads "12.34"
        if (centsFromAmount(amount) !== cents) assert.fail(`${amount} → ${centsFromAmount(amount)}, expected ${cents}`);
      }
    }
  });
});

describe('centsFromDecimal', () => {
  it('reads PostgreSQL numeric text without floats', () => {
    assert.equal(centsFromDecimal('150.00'), 15_000);
    assert.equal(centsFromDecimal('7'), 700);
    assert.equal(centsFromDecimal('0.5'), 50);
    assert.equal(centsFromDecimal('0.05'), 5);
    assert.equal(centsFromDecimal('-3.50'), -350);
    assert.equal(centsFromDecimal('-0.01'), -1);
    assert.equal(centsFromDecimal('0'), 0);
    assert.equal(centsFromDecimal('0.00'), 0);
    assert.equal(centsFromDecimal('1000000.00'), 100_000_000);
    assert.equal(centsFromDecimal('9999999999.99'), 999_999_999_999);
    assert.equal(centsFromDecimal(' 12.30 '), 1230);
    assert.equal(centsFromDecimal('0012.30'), 1230);
  });

  it('throws on text that is not a decimal amount', () => {
    for (const text of ['', ' ', 'abc', '1.', '.5', '1e3', '1,50', '--1', '+1', '1.2.3', 'NaN', 'Infinity', '12 34', '0x10', '١٢']) {
      assert.throws(() => centsFromDecimal(text), /Not a decimal amount/, JSON.stringify(text));
    }
  });

  it('is the inverse of centsToDecimal for every cent value from -10,000.00 to 1,000.00 and near the cap', () => {
    for (const [from, to] of [
      [-1_000_000, 100_000],
      [99_990_000, 100_000_000],
    ]) {
      for (let cents = from; cents <= to; cents++) {
        if (centsFromDecimal(centsToDecimal(cents)) !== cents)
          assert.fail(`${cents} → ${centsToDecimal(cents)} → ${centsFromDecimal(centsToDecimal(cents))}`);
      }
    }
  });
});

describe('centsToDecimal', () => {
  it('writes exact numeric(12,2) text', () => {
    assert.equal(centsToDecimal(0), '0.00');
    assert.equal(centsToDecimal(5), '0.05');
    assert.equal(centsToDecimal(50), '0.50');
    assert.equal(centsToDecimal(100), '1.00');
    assert.equal(centsToDecimal(1999), '19.99');
    assert.equal(centsToDecimal(15_000), '150.00');
    assert.equal(centsToDecimal(100_000_000), '1000000.00');
    assert.equal(centsToDecimal(-350), '-3.50');
    assert.equal(centsToDecimal(-5), '-0.05');
    assert.equal(centsToDecimal(999_999_999_999), '9999999999.99');
  });
});

describe('centsToAmount', () => {
  it('gives the JSON number of the amount', () => {
    assert.equal(centsToAmount(1999), 19.99);
    assert.equal(centsToAmount(15_000), 150);
    assert.equal(centsToAmount(5), 0.05);
    assert.equal(centsToAmount(-350), -3.5);
    assert.equal(JSON.stringify({ price: centsToAmount(2700) }), '{"price":27}');
    assert.equal(JSON.stringify({ price: centsToAmount(7367) }), '{"price":73.67}');
  });

  it('prints with at most 2 decimals, equal to the exact decimal, for every cent value 0–100,000 and near the cap', () => {
    for (const [from, to] of [
      [0, 100_000],
      [99_990_000, 100_000_000],
      [999_999_990_000, 999_999_999_999],
    ]) {
      for (let cents = from; cents <= to; cents++) {
        const printed = String(centsToAmount(cents));
        if (!WIRE.test(printed)) assert.fail(`${cents} cents prints as ${printed}`);
        if (Number(printed) !== Number(centsToDecimal(cents)))
          assert.fail(`${cents} cents prints as ${printed}, not ${centsToDecimal(cents)}`);
        if (JSON.stringify(centsToAmount(cents)) !== printed) assert.fail(`${cents}: JSON differs`);
      }
    }
  });
});
