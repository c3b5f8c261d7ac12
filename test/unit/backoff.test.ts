/** Retry delays of failed archive uploads: exponential from the base, capped, with at most 20 % jitter (downwards). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/common/backoff.js';

const top = () => 1 - Number.EPSILON; // Math.random() < 1
const bottom = () => 0;

describe('backoffDelay', () => {
  it('doubles from the base with each attempt (no jitter at the top of the range)', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, 100, 1_000_000, () => 1)),
      [100, 200, 400, 800, 1600],
    );
  });

  it('is capped at the maximum', () => {
    assert.equal(
      backoffDelay(10, 100, 5000, () => 1),
      5000,
    );
    assert.equal(
      backoffDelay(11, 100, 5000, () => 1),
      5000,
    );
    assert.equal(
      backoffDelay(7, 100, 5000, () => 1),
      5000,
    ); // 6400 → 5000
    assert.equal(
      backoffDelay(6, 100, 5000, () => 1),
      3200,
    );
  });

  it('stays finite and capped for absurd attempt numbers', () => {
    for (const attempt of [31, 64, 1000, 1e9, Number.MAX_SAFE_INTEGER]) {
      const delay = backoffDelay(attempt, 1000, 300_000, () => 1);
      assert.equal(delay, 300_000, `attempt ${attempt}`);
    }
  });

  it('treats attempt 0 or below as the first attempt (base delay)', () => {
    assert.equal(
      backoffDelay(0, 250, 10_000, () => 1),
      250,
    );
    assert.equal(
      backoffDelay(-3, 250, 10_000, () => 1),
      250,
    );
  });

  it('jitter stays within [80 %, 100 %] of the exponential delay', () => {
    for (const attempt of [1, 2, 3, 8, 20]) {
      const nominal = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      assert.equal(backoffDelay(attempt, 1000, 60_000, bottom), Math.round(nominal * 0.8), `attempt ${attempt} low end`);
      assert.ok(backoffDelay(attempt, 1000, 60_000, top) <= nominal, `attempt ${attempt} high end`);
      assert.ok(backoffDelay(attempt, 1000, 60_000, top) >= Math.round(nominal * 0.99), `attempt ${attempt} high end`);
      assert.equal(
        backoffDelay(attempt, 1000, 60_000, () => 0.5),
        Math.round(nominal * 0.9),
        `attempt ${attempt} middle`,
      );
    }
  });

  it('never exceeds the cap, whatever the random draw', () => {
    for (let i = 0; i <= 100; i++) {
      const r = i / 100;
      const delay = backoffDelay(50, 100, 1000, () => Math.min(r, top()));
      assert.ok(delay >= 800 && delay <= 1000, `random ${r} → ${delay}`);
    }
  });

  it('uses Math.random by default, within the same bounds, and spreads values out', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(3, 1000, 60_000);
      assert.ok(Number.isInteger(delay));
      assert.ok(delay >= 3200 && delay <= 4000, String(delay));
      seen.add(delay);
    }
    assert.ok(seen.size > 10, `jitter should spread retries out, saw ${seen.size} distinct delays`);
  });

  it('returns whole milliseconds', () => {
    assert.ok(Number.isInteger(backoffDelay(1, 333, 10_000, () => 0.123)));
  });
});
