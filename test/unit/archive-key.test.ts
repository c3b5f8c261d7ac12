/**
 * The archive key layout (docs/contract/operations.md, Archive): `warranties/YYYY/MM/DD/<store_uuid>/<event_id>.json`, dated in UTC
 * by the request's arrival, whatever the process's own time zone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveKey } from '../../src/archive/archive-key.js';

const EVENT = '3f1c2a9e-8b7d-4c6e-9a51-0d2f4b6c8e10';

/** Runs `work` with the process in another time zone (Node re-reads TZ when it changes). */
function inTimeZone<T>(tz: string, work: () => T): T {
  const previous = process.env.TZ;
  process.env.TZ = tz;
  try {
    return work();
  } finally {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  }
}

describe('archiveKey', () => {
  it('lays out warranties/YYYY/MM/DD/<store_uuid>/<event_id>.json', () => {
    assert.equal(
      archiveKey(new Date('2026-11-23T10:00:00.000Z'), 'b21ad0676f26439', EVENT),
      `warranties/2026/11/23/b21ad0676f26439/${EVENT}.json`,
    );
  });

  it('zero-pads month and day', () => {
    assert.equal(archiveKey(new Date('2026-01-05T12:00:00.000Z'), 's1', EVENT), `warranties/2026/01/05/s1/${EVENT}.json`);
    assert.equal(archiveKey(new Date('2026-09-09T12:00:00.000Z'), 's1', EVENT), `warranties/2026/09/09/s1/${EVENT}.json`);
  });

  it('zero-pads the year to four digits', () => {
    const date = new Date(Date.UTC(2026, 0, 1));
    date.setUTCFullYear(987);
    assert.equal(archiveKey(date, 's1', EVENT), `warranties/0987/01/01/s1/${EVENT}.json`);
  });

  it('uses the UTC date at the last and first millisecond of a day, month and year', () => {
    assert.equal(archiveKey(new Date('2026-12-31T23:59:59.999Z'), 's', EVENT), `warranties/2026/12/31/s/${EVENT}.json`);
    assert.equal(archiveKey(new Date('2027-01-01T00:00:00.000Z'), 's', EVENT), `warranties/2027/01/01/s/${EVENT}.json`);
    assert.equal(archiveKey(new Date('2028-02-28T23:59:59.999Z'), 's', EVENT), `warranties/2028/02/28/s/${EVENT}.json`);
    assert.equal(archiveKey(new Date('2028-02-29T00:00:00.000Z'), 's', EVENT), `warranties/2028/02/29/s/${EVENT}.json`);
    assert.equal(archiveKey(new Date('2028-03-01T00:00:00.000Z'), 's', EVENT), `warranties/2028/03/01/s/${EVENT}.json`);
  });

  it('dates by UTC even when the local date differs (time zones ahead of and behind UTC)', () => {
    // 23:30 UTC on the 9th is already the 10th in Kiritimati (UTC+14)…
    const lateUtc = new Date('2026-03-09T23:30:00.000Z');
    const ahead = inTimeZone('Pacific/Kiritimati', () => {
      assert.equal(lateUtc.getDate(), 10, 'precondition: the local date is the next day');
      return archiveKey(lateUtc, 's', EVENT);
    });
    assert.equal(ahead, `warranties/2026/03/09/s/${EVENT}.json`);
    // …and 00:30 UTC on the 10th is still the 9th in Honolulu (UTC-10).
    const earlyUtc = new Date('2026-03-10T00:30:00.000Z');
    const behind = inTimeZone('Pacific/Honolulu', () => {
      assert.equal(earlyUtc.getDate(), 9, 'precondition: the local date is the previous day');
      return archiveKey(earlyUtc, 's', EVENT);
    });
    assert.equal(behind, `warranties/2026/03/10/s/${EVENT}.json`);
  });

  it('a timestamp written with an offset lands on its UTC day', () => {
    assert.equal(archiveKey(new Date('2026-11-23T10:00:00+14:00'), 's', EVENT), `warranties/2026/11/22/s/${EVENT}.json`);
  });

  it('keeps the store uuid and event id verbatim', () => {
    assert.equal(archiveKey(new Date('2026-11-23T10:00:00Z'), 'Store_A-01', 'e-1'), 'warranties/2026/11/23/Store_A-01/e-1.json');
  });
});
