/**
 * GroupCommit's queueing rules (issue 11, write coalescing), with a controllable `save`: a lone member
 * is saved at once, groups form only behind saves in flight and are bounded, each member gets its own
 * answer, a failing member is isolated by halving, an unavailable database fails the group at once.
 * Saves are settled by hand and the calls asserted as they happen, so a broken rule fails its test at
 * once rather than leaving an answer pending until the runner's timeout. The same rules on real PostgreSQL: test/e2e/write-coalescing.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseBusyError, isDatabaseUnavailable } from '../../src/database/database-errors.js';
import { GroupCommit } from '../../src/database/group-commit.js';
import type { TraceOrigin, Tracing } from '../../src/tracing/tracing-types.js';
import { installTracing } from '../../src/tracing/tracing.js';

/** A save whose calls stay pending until the test settles them. */
function controlledSave() {
  const calls: { members: string[]; settle: (error?: unknown) => void }[] = [];
  const save = (members: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ members, settle: (error) => (error ? reject(error) : resolve(members.map((member) => `saved ${member}`))) });
    });
  return { calls, save };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

const PENDING = Symbol('pending');
/** What a promise has settled to so far (its value or its error), readable without awaiting it. */
function outcome(promise: Promise<unknown>): { value: unknown } {
  const seen: { value: unknown } = { value: PENDING };
  promise.then(
    (value) => (seen.value = value),
    (error: unknown) => (seen.value = error),
  );
  return seen;
}

/**
 * Settles every call as `failure` says (an error, or undefined: saved), in turn, including the calls
 * that settling makes; more than `limit` calls fail the test at once (a save retried without end).
 */
async function settleEach(
  calls: { members: string[]; settle: (error?: unknown) => void }[],
  failure: (members: string[]) => unknown,
  limit = 20,
): Promise<void> {
  for (let i = 0; i < calls.length; i++) {
    assert.ok(i < limit, `more than ${limit} saves: ${JSON.stringify(calls.map((call) => call.members))}`);
    calls[i].settle(failure(calls[i].members));
    await flush();
  }
}

describe('GroupCommit', () => {
  it('saves a lone member at once, in the same turn, alone (no timer wait)', () => {
    const { calls, save } = controlledSave();
    const groups = new GroupCommit({ save, concurrency: 1, maxSize: 10, maxWaitMs: 60_000 });
    void groups.add('a');
    assert.deepEqual(
      calls.map((call) => call.members),
      [['a']],
    );
  });

  it('gathers what arrives while the slots are busy into the next group, bounded by maxSize, in arrival order', async () => {
    const { calls, save } = controlledSave();
    const sizes: number[] = [];
    const groups = new GroupCommit({ save, concurrency: 2, maxSize: 3, maxWaitMs: 60_000, onGroup: (size) => sizes.push(size) });
    const answers = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((member) => groups.add(member));
    assert.deepEqual(
      calls.map((call) => call.members),
      [['a'], ['b']],
      'two slots: the first two are saved alone at once',
    );
    assert.equal(groups.queued, 5);
    calls[0].settle();
    await flush();
    assert.deepEqual(calls[2].members, ['c', 'd', 'e'], 'the freed slot takes the next maxSize waiting');
    calls[1].settle();
    await flush();
    assert.deepEqual(calls[3].members, ['f', 'g']);
    calls[2].settle();
    calls[3].settle();
    assert.deepEqual(await Promise.all(answers), ['saved a', 'saved b', 'saved c', 'saved d', 'saved e', 'saved f', 'saved g']);
    assert.deepEqual(sizes, [1, 1, 3, 2]);
    assert.equal(groups.queued, 0);
  });

  it('isolates a member whose save fails: the group is retried in halves, the others are saved, it alone gets the error', async () => {
    const refused = new Error('value refused');
    const { calls, save } = controlledSave();
    const groups = new GroupCommit({ save, concurrency: 1, maxSize: 10, maxWaitMs: 60_000 });
    const first = groups.add('first'); // in flight: the others queue behind it and form one group
    const answers = ['a', 'b', 'bad', 'c', 'd', 'e'].map((member) => outcome(groups.add(member)));
    await settleEach(calls, (members) => (members.includes('bad') ? refused : undefined));
    assert.deepEqual(
      calls.map((call) => call.members),
      [['first'], ['a', 'b', 'bad', 'c', 'd', 'e'], ['a', 'b', 'bad'], ['a', 'b'], ['bad'], ['c', 'd', 'e']],
    );
    assert.equal(await first, 'saved first');
    assert.deepEqual(
      answers.map((answer) => answer.value),
      ['saved a', 'saved b', refused, 'saved c', 'saved d', 'saved e'],
    );
  });

  it('fails every member of a group at once when the database is unavailable (no retries against a database that is down)', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const sizes: number[] = [];
    const { calls, save } = controlledSave();
    const groups = new GroupCommit({ save, concurrency: 1, maxSize: 10, maxWaitMs: 60_000, onGroup: (size) => sizes.push(size) });
    const answers = ['a', 'b', 'c', 'd'].map((member) => outcome(groups.add(member)));
    calls[0].settle();
    await flush();
    calls[1].settle(down);
    await flush();
    // Asserted right after the failure, not by awaiting the answers: a retry would leave them pending until the test timeout.
    assert.deepEqual(
      calls.map((call) => call.members),
      [['a'], ['b', 'c', 'd']],
      'the failed group is not retried',
    );
    assert.deepEqual(sizes, [1, 3]);
    assert.deepEqual(
      answers.map((answer) => answer.value),
      ['saved a', down, down, down],
    );
    assert.equal(groups.queued, 0);
  });

  it('answers a member that waits longer than maxWaitMs for a slot with 503 (DatabaseBusyError); the write in flight is unaffected', async (t) => {
    // Mocked time: the deadline is checked to the millisecond, and a lost one fails here at once, not at the test timeout.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { calls, save } = controlledSave();
    const groups = new GroupCommit({ save, concurrency: 1, maxSize: 10, maxWaitMs: 50 });
    const first = groups.add('stuck');
    const behind = outcome(groups.add('behind'));
    t.mock.timers.tick(49);
    await flush();
    assert.equal(behind.value, PENDING, 'still waiting before its deadline');
    assert.equal(groups.queued, 1);
    t.mock.timers.tick(1);
    await flush();
    const expired: unknown = behind.value; // (behind.value is narrowed to PENDING above)
    assert.ok(expired instanceof DatabaseBusyError, `answered at its deadline: ${String(expired)}`);
    assert.ok(isDatabaseUnavailable(expired));
    assert.equal(groups.queued, 0);
    calls[0].settle();
    assert.equal(await first, 'saved stuck');
    assert.deepEqual(
      calls.map((call) => call.members),
      [['stuck']],
      'the expired member was never saved',
    );
  });

  it('with tracing on, each transaction runs in one span given the origins its members were added with', async () => {
    const spans: string[][] = [];
    let current = 'none';
    const fake: Partial<Tracing> = {
      capture: () => ({ traceOrigin: current }),
      inGroupSpan: <T>(_name: string, members: readonly (TraceOrigin | undefined)[], work: () => Promise<T>) => {
        spans.push(members.map((member) => String(member?.traceOrigin)));
        return work();
      },
    };
    installTracing(fake as Tracing);
    const { calls, save } = controlledSave();
    const groups = new GroupCommit({ save, concurrency: 1, maxSize: 10, maxWaitMs: 60_000 });
    const answers = ['a', 'b', 'c'].map((member) => ((current = `request ${member}`), groups.add(member)));
    calls[0].settle();
    await flush();
    calls[1].settle();
    assert.deepEqual(await Promise.all(answers), ['saved a', 'saved b', 'saved c']);
    assert.deepEqual(spans, [['request a'], ['request b', 'request c']]);
  });
});
