/**
 * When DatabaseOutage calls an outage over (issue 15): a statement that succeeds is not enough — a new
 * connection, opened after the outage began, must answer too (a stopped postmaster leaves the open
 * connections working). The same with a real stopped postmaster: test/e2e/database-hang.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Logger, type LoggerService } from '@nestjs/common';
import type { ConnectionProbe } from '../../src/database/connection-probe.js';
import { DatabaseOutage } from '../../src/database/database-outage.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A probe whose answer the test sets: when a new connection last answered, or why none could be opened. */
function fakeProbe() {
  const probe = { answer: (): Promise<number> => Promise.reject(new Error('timeout expired')), calls: 0 };
  return { probe, asProbe: { check: () => (probe.calls++, probe.answer()) } as unknown as ConnectionProbe };
}

describe('DatabaseOutage', () => {
  const lines: string[] = [];
  before(() => {
    const collect = (message: unknown) => lines.push((message as { message: string }).message);
    Logger.overrideLogger({ log: collect, warn: collect, error: collect } as LoggerService);
  });
  after(() => Logger.overrideLogger(false));

  it('is not over while no new connection can be opened, however many statements succeed on open ones', async () => {
    lines.length = 0;
    const { probe, asProbe } = fakeProbe();
    const outage = new DatabaseOutage(asProbe);
    outage.failed(new Error('timeout exceeded when trying to connect'));
    for (let i = 0; i < 5; i++) {
      outage.recovered();
      await flush();
    }
    assert.deepEqual(lines, ['database unavailable']);
    assert.ok(probe.calls >= 1, 'it asked whether a new connection can be opened');

    probe.answer = () => Promise.resolve(Date.now());
    outage.recovered();
    await flush();
    assert.deepEqual(lines, ['database unavailable', 'database available again']);
  });

  it('does not count a new connection that answered before the outage began', async () => {
    lines.length = 0;
    const { probe, asProbe } = fakeProbe();
    const earlier = Date.now() - 500;
    probe.answer = () => Promise.resolve(earlier); // an answer the probe reuses, from before the failure
    const outage = new DatabaseOutage(asProbe);
    outage.failed(new Error('Connection terminated'));
    outage.recovered();
    await flush();
    assert.deepEqual(lines, ['database unavailable']);
  });

  it('asks one probe at a time, not one per successful statement', async () => {
    lines.length = 0;
    const { probe, asProbe } = fakeProbe();
    let answer: (at: number) => void = () => undefined;
    probe.answer = () => new Promise((resolve) => (answer = resolve));
    const outage = new DatabaseOutage(asProbe);
    outage.failed(new Error('down'));
    for (let i = 0; i < 100; i++) outage.recovered();
    assert.equal(probe.calls, 1);
    answer(Date.now());
    await flush();
    assert.deepEqual(lines, ['database unavailable', 'database available again']);
  });
});
