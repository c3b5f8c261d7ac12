/**
 * ArchiveUploader with fake outbox, target, metrics and config: bounded concurrency, bounded queue (what
 * does not fit goes back to the outbox), failure → markFailed with backoff, success → markArchived, and a
 * shutdown drain that waits for in-flight uploads but never past its deadline.
 */
import assert from 'node:assert/strict';
import { Logger } from '@nestjs/common';
import { after, before, describe, it } from 'node:test';
import { Test } from '@nestjs/testing';
import { ArchiveMetrics } from '../../src/archive/archive-metrics.js';
import { ArchiveRecordRepository } from '../../src/archive/archive-record.repository.js';
import type { ArchiveRecordRef } from '../../src/archive/archive-record.js';
import { ArchiveTarget } from '../../src/archive/archive-target.js';
import { ArchiveUploader } from '../../src/archive/archive-uploader.js';
import { appConfig, type AppConfig } from '../../src/config/app-config.js';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A target whose puts stay pending until the test settles them; it records the peak concurrency. */
class FakeTarget extends ArchiveTarget {
  readonly kind = 'local';
  readonly puts: { key: string; body: string; done: Deferred }[] = [];
  active = 0;
  peak = 0;
  /** When set, each put settles by itself: resolves, or rejects with this error. */
  auto: 'resolve' | Error | undefined;

  override async put(key: string, body: string): Promise<void> {
    const done = deferred();
    this.puts.push({ key, body, done });
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      if (this.auto === 'resolve') setImmediate(() => done.resolve());
      else if (this.auto instanceof Error) {
        const error = this.auto;
        setImmediate(() => done.reject(error));
      }
      await done.promise;
    } finally {
      this.active--;
    }
  }

  override describe(): string {
    return 'fake://';
  }
}

class FakeRecords {
  /** Ids noted as uploaded (markArchived), in order. */
  readonly archived: number[] = [];
  readonly failed: { id: number; retryInMs: number; error: string }[] = [];
  readonly released: number[] = [];
  /** For each flushArchived call: the ids noted so far at that moment. */
  readonly flushes: number[][] = [];

  markArchived(id: number): void {
    this.archived.push(id);
  }
  async flushArchived(): Promise<void> {
    this.flushes.push([...this.archived]);
  }
  async markFailed(id: number, retryInMs: number, error: string): Promise<void> {
    this.failed.push({ id, retryInMs, error });
  }
  async release(id: number): Promise<void> {
    this.released.push(id);
  }
}

class FakeCounter {
  value = 0;
  inc(): void {
    this.value++;
  }
}

function record(id: number, attempts = 1): ArchiveRecordRef {
  const eventId = `00000000-0000-4000-8000-${id.toString().padStart(12, '0')}`;
  return {
    id,
    objectKey: `warranties/2026/11/23/store-${id}/${eventId}.json`,
    attempts,
    document: {
      event_id: eventId,
      request_id: `req-${id}`,
      received_at: '2026-11-23T10:00:00.000Z',
      key_prefix: 'wsk_admin_0123456789ab',
      request: { store_uuid: `store-${id}` },
      response: { status: 201, body: { warranties: [] } },
    },
  };
}

/** The uploader from a Nest testing module, with fakes for the records table, the target, metrics and config. */
async function setup(archive: Partial<AppConfig['archive']> = {}) {
  const target = new FakeTarget();
  const outbox = new FakeRecords();
  const metrics = { uploads: new FakeCounter(), failures: new FakeCounter() };
  const config = {
    archive: { uploadConcurrency: 3, backoffBaseMs: 100, backoffMaxMs: 10_000, ...archive },
    shutdownDrainMs: 1000,
  } as unknown as AppConfig;
  const moduleRef = await Test.createTestingModule({
    providers: [
      ArchiveUploader,
      { provide: ArchiveRecordRepository, useValue: outbox },
      { provide: ArchiveTarget, useValue: target },
      { provide: ArchiveMetrics, useValue: metrics },
      { provide: appConfig.KEY, useValue: config },
    ],
  }).compile();
  const uploader = moduleRef.get(ArchiveUploader);
  return { target, outbox, metrics, uploader };
}

/** Lets pending promise callbacks and immediates run. */
const settle = async (rounds = 5) => {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function waitFor(probe: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ArchiveUploader', () => {
  before(() => Logger.overrideLogger(false)); // failure paths log warnings on purpose
  after(() => Logger.overrideLogger(['error', 'warn', 'log']));

  it('uploads the record under its key as the JSON document, then marks it archived', async () => {
    const { target, outbox, metrics, uploader } = await setup();
    const r = record(7);
    assert.equal(await uploader.offer(r), true);
    await waitFor(() => target.puts.length === 1);
    assert.equal(target.puts[0].key, r.objectKey);
    assert.deepEqual(JSON.parse(target.puts[0].body), r.document);
    assert.deepEqual(outbox.archived, [], 'not archived before the put finished');
    target.puts[0].done.resolve();
    await waitFor(() => outbox.archived.length === 1);
    assert.deepEqual(outbox.archived, [7]);
    assert.deepEqual(outbox.failed, []);
    assert.equal(metrics.uploads.value, 1);
    assert.equal(metrics.failures.value, 0);
    assert.equal(uploader.busy, 0);
  });

  it('never has more than uploadConcurrency puts in flight, and uploads everything offered', async () => {
    const { target, outbox, uploader } = await setup({ uploadConcurrency: 3 });
    for (let id = 1; id <= 20; id++) assert.equal(await uploader.offer(record(id)), true);
    await settle();
    assert.equal(target.active, 3, 'exactly the concurrency cap in flight');
    assert.equal(uploader.busy, 20);
    // Finish them one at a time, in arbitrary order; the cap must hold throughout.
    let finished = 0;
    while (finished < 20) {
      assert.ok(target.puts.length > 0, 'an upload should be in flight');
      const next = finished % 2 === 0 ? target.puts.pop()! : target.puts.shift()!;
      next.done.resolve();
      finished++;
      await waitFor(() => outbox.archived.length === finished);
      await settle();
      assert.ok(target.active <= 3, `active ${target.active}`);
    }
    assert.equal(target.peak, 3);
    assert.deepEqual(
      [...outbox.archived].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(uploader.busy, 0);
  });

  it('with auto-completing puts, concurrency 1 uploads strictly one at a time', async () => {
    const { target, outbox, uploader } = await setup({ uploadConcurrency: 1 });
    target.auto = 'resolve';
    for (let id = 1; id <= 30; id++) await uploader.offer(record(id));
    await waitFor(() => outbox.archived.length === 30);
    assert.equal(target.peak, 1);
    assert.deepEqual(
      outbox.archived,
      Array.from({ length: 30 }, (_, i) => i + 1),
      'FIFO order',
    );
  });

  it('bounds its queue: when full, offer returns false and hands the record back to the outbox', async () => {
    const { target, outbox, uploader } = await setup({ uploadConcurrency: 2 });
    const capacity = uploader.room;
    assert.ok(capacity >= 2, `room ${capacity}`);
    for (let id = 1; id <= capacity; id++) assert.equal(await uploader.offer(record(id)), true, `record ${id} fits`);
    await settle();
    assert.equal(uploader.room, 0);
    assert.equal(target.active, 2);
    assert.deepEqual(outbox.released, []);
    assert.equal(await uploader.offer(record(10_001)), false);
    assert.equal(await uploader.offer(record(10_002)), false);
    assert.deepEqual(outbox.released, [10_001, 10_002], 'records that did not fit are released to the sweepers');
    // The refused records are never uploaded by this process.
    target.auto = 'resolve';
    for (const put of target.puts) put.done.resolve();
    await waitFor(() => outbox.archived.length === capacity);
    await settle();
    assert.ok(!outbox.archived.includes(10_001) && !outbox.archived.includes(10_002));
    assert.ok(!target.puts.some((put) => put.key.includes('store-10001')));
    assert.equal(uploader.room, capacity, 'room comes back once the queue drains');
  });

  it('a failed put → markFailed with the backoff for its attempt number (no markArchived)', async () => {
    const { target, outbox, metrics, uploader } = await setup({ backoffBaseMs: 100, backoffMaxMs: 10_000 });
    target.auto = new Error('S3 said no');
    await uploader.offer(record(1, 1));
    await uploader.offer(record(2, 3));
    await uploader.offer(record(3, 40));
    await waitFor(() => outbox.failed.length === 3);
    const byId = new Map(outbox.failed.map((f) => [f.id, f]));
    // backoff: base·2^(attempt-1), capped, jitter down to 80 %.
    const within = (value: number, nominal: number) => value >= Math.round(nominal * 0.8) && value <= nominal;
    assert.ok(within(byId.get(1)!.retryInMs, 100), `attempt 1: ${byId.get(1)!.retryInMs}`);
    assert.ok(within(byId.get(2)!.retryInMs, 400), `attempt 3: ${byId.get(2)!.retryInMs}`);
    assert.ok(within(byId.get(3)!.retryInMs, 10_000), `attempt 40 (capped): ${byId.get(3)!.retryInMs}`);
    assert.match(byId.get(1)!.error, /S3 said no/);
    assert.deepEqual(outbox.archived, []);
    assert.equal(metrics.failures.value, 3);
    assert.equal(metrics.uploads.value, 0);
    assert.equal(uploader.busy, 0);
  });

  it('drain resolves at once with 0 when idle', async () => {
    const { uploader } = await setup();
    const started = Date.now();
    assert.equal(await uploader.drain(5000), 0);
    assert.ok(Date.now() - started < 100);
  });

  it('drain waits for in-flight and queued uploads, and returns 0 once they are done', async () => {
    const { target, outbox, uploader } = await setup({ uploadConcurrency: 2 });
    for (let id = 1; id <= 4; id++) await uploader.offer(record(id));
    await settle();
    let drained: number | undefined;
    const draining = uploader.drain(5000).then((left) => (drained = left));
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(drained, undefined, 'drain must not return while uploads are in flight');
    target.auto = 'resolve';
    for (const put of target.puts) put.done.resolve();
    const started = Date.now();
    await draining;
    assert.equal(drained, 0);
    assert.ok(Date.now() - started < 1000, 'drain returns promptly once the uploads finish');
    assert.deepEqual(
      [...outbox.archived].sort((a, b) => a - b),
      [1, 2, 3, 4],
      'queued records were uploaded during the drain too',
    );
    assert.deepEqual(
      outbox.flushes.map((ids) => [...ids].sort((a, b) => a - b)),
      [[1, 2, 3, 4]],
      'drain writes the pending "uploaded" marks once, after the last upload finished',
    );
  });

  it('drain honours its deadline when an upload hangs, and reports what is left', async () => {
    const { outbox, uploader } = await setup({ uploadConcurrency: 1 });
    for (let id = 1; id <= 3; id++) await uploader.offer(record(id)); // 1 in flight (never finishes) + 2 queued
    await settle();
    const started = Date.now();
    const left = await uploader.drain(400);
    const elapsed = Date.now() - started;
    assert.equal(left, 3);
    assert.ok(elapsed >= 350, `returned too early: ${elapsed} ms`);
    assert.ok(elapsed < 1200, `overran its deadline: ${elapsed} ms`);
    assert.equal(outbox.flushes.length, 1, 'the marks of what did finish are still written');
  });

  it('drain(0) returns immediately with the busy count', async () => {
    const { uploader } = await setup({ uploadConcurrency: 1 });
    await uploader.offer(record(1));
    await settle();
    const started = Date.now();
    assert.equal(await uploader.drain(0), 1);
    assert.ok(Date.now() - started < 100);
  });
});
