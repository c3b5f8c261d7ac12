import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Test } from '@nestjs/testing';
import { StoreRepository, type StoreRow } from '../../src/stores/store.repository.js';
import { StoresService } from '../../src/stores/stores.service.js';

/** Answers the repository's two questions with scripted rows and counts them. */
class ScriptedStores {
  calls = 0;
  constructor(private readonly answers: (StoreRow | number | undefined)[]) {}
  async insertOrFind(): Promise<StoreRow | undefined> {
    this.calls++;
    return this.answers.shift() as StoreRow | undefined;
  }
  async findId(): Promise<number | undefined> {
    this.calls++;
    return this.answers.shift() as number | undefined;
  }
}

async function storesWith(answers: (StoreRow | number | undefined)[]) {
  const repository = new ScriptedStores(answers);
  const moduleRef = await Test.createTestingModule({ providers: [StoresService, StoreRepository] })
    .overrideProvider(StoreRepository)
    .useValue(repository)
    .compile();
  return { stores: moduleRef.get(StoresService), repository };
}

describe('StoresService.ensure', () => {
  it('remembers the id of a committed store and skips the database next time', async () => {
    const { stores, repository } = await storesWith([{ id: 7, committed: true }]);
    assert.equal(await stores.ensure('store-a'), 7);
    assert.equal(await stores.ensure('store-a'), 7);
    assert.equal(repository.calls, 1);
  });

  it('does not remember a store its own (uncommitted) transaction inserted', async () => {
    const { stores, repository } = await storesWith([
      { id: 8, committed: false },
      { id: 8, committed: true },
    ]);
    assert.equal(await stores.ensure('store-b'), 8);
    assert.equal(await stores.ensure('store-b'), 8);
    assert.equal(repository.calls, 2);
  });

  it('falls back to a fresh read when a concurrent insert committed after the snapshot', async () => {
    const { stores, repository } = await storesWith([undefined, 9]);
    assert.equal(await stores.ensure('store-c'), 9);
    assert.equal(repository.calls, 2);
    assert.equal(await stores.ensure('store-c'), 9, 'and remembers it');
    assert.equal(repository.calls, 2);
  });

  it('fails loudly when the store is neither inserted nor found', async () => {
    const { stores } = await storesWith([undefined, undefined]);
    await assert.rejects(stores.ensure('store-d'), /neither inserted nor found/);
  });
});
