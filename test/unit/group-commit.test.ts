/**
 * GroupCommit's queueing rules (issue 11, write coalescing), with a controllable `save`: a lone member
 * is saved at once, groups form only behind saves in flight and are bounded, each member gets its own
 * answer, a failing member is isolated by halving, an unavailable database fails the group at once.
 * The same rules on real PostgreSQL: test/e2e/write-coalescing.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseBusyError, isDatabaseUnavailable } from '../../src/database/database-errors.js';
import { GroupCommit } from '../../src/database/group-commit.js';
import { installTracing, type TraceOrigin, type Tracing } from '../../src/tracing/tracing.js';

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
    const groups = new GroupCommit({
      save: async (members: string[]) => {
        if (members.includes('bad')) throw refused;
        return members.map((member) => `saved ${member}`);
      },
      concurrency: 1,
      maxSize: 10,
      maxWaitMs: 60_000,
    });
    const first = groups.add('first'); // in flight: the others queue behind it and form one group
    const members = ['a', 'b', 'bad', 'c', 'd', 'e'];
    const answers = members.map((member) => groups.add(member).catch((error: unknown) => error));
    assert.equal(await first, 'saved first');
    assert.deepEqual(await Promise.all(answers), ['saved a', 'saved b', refused, 'saved c', 'saved d', 'saved e']);
  });

  it('fails every member of a group at once when the database is unavailable (no retries against a database that is down)', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    let saves = 0;
    const { calls, save } = controlledSave();
    const groups = new GroupCommit({
      save: (members: string[]) => {
        saves++;
        return save(members);
      },
      concurrency: 1,
      maxSize: 10,
      maxWaitMs: 60_000,
    });
    const answers = ['a', 'b', 'c', 'd'].map((member) => groups.add(member).catch((error: unknown) => error));
    calls[0].settle();
    await flush();
    calls[1].settle(down);
    const settled = await Promise.all(answers);
    assert.deepEqual(settled, ['saved a', down, down, down]);
    assert.equal(saves, 2, 'the failed group is not retried');
  });

  it('answers a member that waits longer than maxWaitMs for a slot with 503 (DatabaseBusyError); the write in flight is unaffected', async () => {
    const { calls, save } = controlledSave();
    const groups = new GroupCommit({ save, concurrency: 1, maxSize: 10, maxWaitMs: 50 });
    const first = groups.add('stuck');
    const late = await groups.add('behind').catch((error: unknown) => error);
    assert.ok(isDatabaseUnavailable(late), String(late));
    assert.ok(late instanceof DatabaseBusyError);
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
