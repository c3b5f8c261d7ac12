import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Database, type DbTransaction, type Row } from '../../src/database/database.js';
import { StoresService } from '../../src/stores/stores.service.js';

/** Answers the store statement with scripted rows and records what was asked. */
class ScriptedDatabase extends Database {
  readonly queries: string[] = [];
  constructor(private readonly answers: Row[][]) {
    super();
  }
  override async query<T extends Row>(sql: string): Promise<T[]> {
    this.queries.push(sql);
    return (this.answers.shift() ?? []) as T[];
  }
  override transaction<T>(work: (tx: DbTransaction) => Promise<T>): Promise<T> {
    return work({} as DbTransaction);
  }
  override async ping(): Promise<void> {}
}

const tx = {} as DbTransaction;

describe('StoresService.ensure', () => {
  it('remembers the id of a committed store and skips the database next time', async () => {
    const db = new ScriptedDatabase([[{ id: '7', committed: true }]]);
    const stores = new StoresService(db);
    assert.equal(await stores.ensure(tx, 'store-a'), 7);
    assert.equal(await stores.ensure(tx, 'store-a'), 7);
    assert.equal(db.queries.length, 1);
  });

  it('does not remember a store its own (uncommitted) transaction inserted', async () => {
    const db = new ScriptedDatabase([[{ id: '8', committed: false }], [{ id: '8', committed: true }]]);
    const stores = new StoresService(db);
    assert.equal(await stores.ensure(tx, 'store-b'), 8);
    assert.equal(await stores.ensure(tx, 'store-b'), 8);
    assert.equal(db.queries.length, 2);
  });

  it('falls back to a fresh read when a concurrent insert committed after the snapshot', async () => {
    const db = new ScriptedDatabase([[], [{ id: '9' }]]);
    const stores = new StoresService(db);
    assert.equal(await stores.ensure(tx, 'store-c'), 9);
    assert.match(db.queries[1], /SELECT id FROM store WHERE uuid = \?/);
  });

  it('fails loudly when the store is neither inserted nor found', async () => {
    const stores = new StoresService(new ScriptedDatabase([[], []]));
    await assert.rejects(stores.ensure(tx, 'store-d'), /neither inserted nor found/);
  });
});
