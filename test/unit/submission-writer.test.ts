/** SubmissionWriter's retry rule over a scripted transaction (the write path itself: test/e2e/submission-writer.e2e.test.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Test } from '@nestjs/testing';
import { Sql } from '../../src/database/sql.js';
import { ItemRepository } from '../../src/items/item.repository.js';
import { StoresService } from '../../src/stores/stores.service.js';
import { SubmissionMetrics } from '../../src/warranties/submission-metrics.js';
import { SubmissionWriter } from '../../src/warranties/submission-writer.js';
import { WarrantyRepository } from '../../src/warranties/warranty.repository.js';

/** A transaction that fails with each scripted error in turn, then runs its work. */
class ScriptedTransactions {
  attempts = 0;
  constructor(private readonly failures: Error[]) {}
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    this.attempts++;
    const failure = this.failures.shift();
    if (failure) throw failure;
    return work();
  }
}

const sqlError = (code: string) => Object.assign(new Error(code), { code });

async function writerOver(failures: Error[]) {
  const sql = new ScriptedTransactions(failures);
  const retried: string[] = [];
  const moduleRef = await Test.createTestingModule({
    providers: [SubmissionWriter, Sql, StoresService, ItemRepository, WarrantyRepository, SubmissionMetrics],
  })
    .overrideProvider(Sql)
    .useValue(sql)
    .overrideProvider(StoresService)
    .useValue({})
    .overrideProvider(ItemRepository)
    .useValue({})
    .overrideProvider(WarrantyRepository)
    .useValue({})
    .overrideProvider(SubmissionMetrics)
    .useValue({ writeRetried: (reason: string) => retried.push(reason) })
    .compile();
  return { writer: moduleRef.get(SubmissionWriter), sql, retried };
}

describe('SubmissionWriter.write: running a crossed write again', () => {
  it('runs a transaction aborted for a deadlock or a serialization failure again, and succeeds', async () => {
    const { writer, sql, retried } = await writerOver([sqlError('40P01'), sqlError('40001')]);
    assert.equal(await writer.write([], async () => 'published'), 'published');
    assert.equal(sql.attempts, 3);
    assert.deepEqual(retried, ['deadlock', 'serialization']);
  });

  it('gives up after 5 retries with the last conflict', async () => {
    const { writer, sql } = await writerOver(Array.from({ length: 10 }, () => sqlError('40P01')));
    await assert.rejects(
      writer.write([], async () => 'published'),
      { code: '40P01' },
    );
    assert.equal(sql.attempts, 6);
  });

  it('does not run again a write that failed for any other reason', async () => {
    const { writer, sql } = await writerOver([sqlError('23514'), sqlError('08006')]);
    await assert.rejects(
      writer.write([], async () => 'published'),
      { code: '23514' },
    );
    assert.equal(sql.attempts, 1);
  });
});
