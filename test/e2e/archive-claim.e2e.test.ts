/**
 * The archive outbox on a real PostgreSQL, without HTTP: what claimDue takes (due, unarchived records only),
 * how a claim leases a record (attempts + 1, next_attempt_at pushed by the lease), that concurrent claims
 * from two "instances" never share a record (FOR UPDATE SKIP LOCKED, no blocking on a locked row), the
 * other state changes (archived, failed, released), the backlog figures, and retention pruning.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { TestingModule } from '@nestjs/testing';
import type pg from 'pg';
import { ArchiveRecordSchema } from '../../src/archive/archive-record.entity.js';
import { ArchiveRecordRepository } from '../../src/archive/archive-record.repository.js';
import type { ArchiveRecordRef } from '../../src/archive/archive-record.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { Sql } from '../../src/database/sql.js';
import { compileModule, createDatabase, eventually, serviceEnv, sqlClient } from '../support/test-env.js';

const LEASE_MS = 7000;

interface Instance {
  moduleRef: TestingModule;
  sql: Sql;
  records: ArchiveRecordRepository;
}

/** One "instance" of the service's archive records (its own pool), as a Nest testing module. */
async function instance(config: AppConfig): Promise<Instance> {
  const moduleRef = await compileModule(
    { ...config, database: { ...config.database, poolSize: 6 } },
    { imports: [MikroOrmModule.forFeature([ArchiveRecordSchema])], providers: [ArchiveRecordRepository] },
  );
  return { moduleRef, sql: moduleRef.get(Sql), records: moduleRef.get(ArchiveRecordRepository) };
}

describe('archive outbox on PostgreSQL (claims, leases, SKIP LOCKED, pruning)', () => {
  let sql: pg.Client;
  let a: Instance;
  let b: Instance;

  before(async () => {
    const databaseUrl = await createDatabase();
    const config = loadConfig(serviceEnv(databaseUrl, undefined, { ARCHIVE_LEASE_MS: String(LEASE_MS) }));
    a = await instance(config);
    b = await instance(config);
    sql = await sqlClient(databaseUrl);
  });

  after(async () => {
    await sql?.end();
    await a?.moduleRef.close();
    await b?.moduleRef.close();
  });

  beforeEach(async () => {
    await sql.query('DELETE FROM archive_record');
  });

  /** Inserts a record straight into the table; `due`/`created`/`archived` are SQL interval offsets from now(). */
  async function insert(
    options: { due?: string; archived?: string | null; created?: string; attempts?: number; tag?: string } = {},
  ): Promise<number> {
    const eventId = randomUUID();
    const { rows } = await sql.query(
      `INSERT INTO archive_record (event_id, object_key, document, attempts, next_attempt_at, created_at, archived_at)
       VALUES ($1, $2, $3::jsonb, $4, now() + $5::interval, now() + $6::interval,
               CASE WHEN $7::text IS NULL THEN NULL ELSE now() + $7::interval END)
       RETURNING id`,
      [
        eventId,
        `warranties/2026/11/23/s/${eventId}.json`,
        JSON.stringify({
          event_id: eventId,
          request_id: options.tag ?? 'r',
          received_at: new Date().toISOString(),
          request: {},
          response: { status: 201, body: {} },
        }),
        options.attempts ?? 1,
        options.due ?? '-1 second',
        options.created ?? '0 seconds',
        options.archived ?? null,
      ],
    );
    return Number(rows[0].id);
  }

  async function row(id: number) {
    const { rows } = await sql.query(
      `SELECT attempts, archived_at, last_error,
              extract(epoch FROM next_attempt_at - now()) * 1000 AS due_in_ms
       FROM archive_record WHERE id = $1`,
      [id],
    );
    return rows[0] as { attempts: number; archived_at: Date | null; last_error: string | null; due_in_ms: string } | undefined;
  }

  describe('add', () => {
    it('writes the record inside the caller transaction, leased to the writer for ARCHIVE_LEASE_MS', async () => {
      const receivedAt = new Date('2026-11-23T23:59:59.500Z');
      const ref = await a.sql.transaction(() =>
        a.records.add({
          requestId: 'req-add-1',
          receivedAt,
          storeUuid: 'store_A-1',
          keyPrefix: 'wsk_store_0123456789ab',
          request: { store_uuid: ' store_A-1 ', item_cost: 150 },
          response: { status: 201, body: { warranties: [{ id: 1 }] } },
        }),
      );
      const eventId = ref.document.event_id;
      assert.match(eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(ref.objectKey, `warranties/2026/11/23/store_A-1/${eventId}.json`);
      assert.equal(ref.attempts, 1);
      assert.deepEqual(ref.document, {
        event_id: eventId,
        request_id: 'req-add-1',
        received_at: '2026-11-23T23:59:59.500Z',
        key_prefix: 'wsk_store_0123456789ab',
        request: { store_uuid: ' store_A-1 ', item_cost: 150 },
        response: { status: 201, body: { warranties: [{ id: 1 }] } },
      });
      const { rows } = await sql.query(
        `SELECT id, event_id, object_key, document, attempts, archived_at,
                extract(epoch FROM next_attempt_at - now()) * 1000 AS due_in_ms
         FROM archive_record`,
      );
      assert.equal(rows.length, 1);
      assert.equal(Number(rows[0].id), ref.id);
      assert.equal(rows[0].event_id, eventId);
      assert.equal(rows[0].object_key, ref.objectKey);
      assert.deepEqual(rows[0].document, ref.document);
      assert.equal(rows[0].archived_at, null);
      const dueIn = Number(rows[0].due_in_ms);
      assert.ok(dueIn > LEASE_MS - 3000 && dueIn <= LEASE_MS, `leased for ~${LEASE_MS} ms, due in ${dueIn} ms`);
      // Leased to its writer: no sweeper takes it now.
      assert.deepEqual(await b.records.claimDue(100), []);
    });

    it('disappears with a rolled-back transaction', async () => {
      await assert.rejects(
        a.sql.transaction(async () => {
          await a.records.add({
            requestId: 'req-rollback',
            receivedAt: new Date(),
            storeUuid: 's',
            keyPrefix: 'wsk_admin_0123456789ab',
            request: {},
            response: { status: 201, body: {} },
          });
          throw new Error('rollback');
        }),
        /rollback/,
      );
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM archive_record');
      assert.equal(rows[0].n, 0);
    });
  });

  describe('claimDue', () => {
    it('returns only due, unarchived records, with their key and document', async () => {
      const due1 = await insert({ due: '-10 seconds', tag: 'due1' });
      const due2 = await insert({ due: '-1 second', tag: 'due2' });
      const notYet = await insert({ due: '+20 seconds' });
      const archivedDue = await insert({ due: '-10 seconds', archived: '-5 seconds' });
      const claimed = await a.records.claimDue(100);
      assert.deepEqual(
        claimed.map((r) => r.id).sort((x, y) => x - y),
        [due1, due2].sort((x, y) => x - y),
      );
      const first = claimed.find((r) => r.id === due1)!;
      assert.equal(first.document.request_id, 'due1');
      assert.equal(first.objectKey, `warranties/2026/11/23/s/${first.document.event_id}.json`);
      assert.equal(typeof first.document, 'object');
      // The others are untouched.
      assert.equal((await row(notYet))!.attempts, 1);
      assert.equal((await row(archivedDue))!.attempts, 1);
    });

    it('increments attempts and pushes next_attempt_at out by the lease', async () => {
      const id = await insert({ due: '-3 seconds', attempts: 4 });
      const [claimed] = await a.records.claimDue(10);
      assert.equal(claimed.id, id);
      assert.equal(claimed.attempts, 5, 'the returned attempt number counts this attempt');
      const after = (await row(id))!;
      assert.equal(after.attempts, 5);
      const dueIn = Number(after.due_in_ms);
      assert.ok(dueIn > LEASE_MS - 3000 && dueIn <= LEASE_MS, `due again in ${dueIn} ms, expected ~${LEASE_MS}`);
      // Leased: neither instance can claim it again before the lease runs out.
      assert.deepEqual(await a.records.claimDue(10), []);
      assert.deepEqual(await b.records.claimDue(10), []);
    });

    it('claims at most `limit` records, the longest-due first', async () => {
      const ids = [];
      for (let i = 5; i >= 1; i--) ids.push(await insert({ due: `-${i} minutes` }));
      const claimed = await a.records.claimDue(2);
      assert.deepEqual(
        claimed.map((r) => r.id).sort((x, y) => x - y),
        ids.slice(0, 2).sort((x, y) => x - y),
      );
      assert.equal((await a.records.claimDue(100)).length, 3);
    });

    it('two instances claiming concurrently never get the same record, and together get all of them', async () => {
      const total = 300;
      await sql.query(
        `INSERT INTO archive_record (event_id, object_key, document, attempts, next_attempt_at)
         SELECT gen_random_uuid(), 'warranties/x/' || g || '.json', '{}'::jsonb, 1, now() - interval '1 second'
         FROM generate_series(1, $1::int) g`,
        [total],
      );
      const seen: number[] = [];
      const worker = async (records: ArchiveRecordRepository) => {
        for (let round = 0; round < 200; round++) {
          const batch: ArchiveRecordRef[] = await records.claimDue(7);
          if (batch.length === 0) return;
          assert.ok(batch.length <= 7, `a claim returned ${batch.length} records for a limit of 7`);
          seen.push(...batch.map((r) => r.id));
        }
      };
      await Promise.all([worker(a.records), worker(b.records), worker(a.records), worker(b.records), worker(a.records), worker(b.records)]);
      const distinct = new Set(seen);
      assert.equal(distinct.size, seen.length, `${seen.length - distinct.size} records were claimed twice`);
      assert.equal(distinct.size, total);
      const { rows } = await sql.query('SELECT min(attempts) AS lo, max(attempts) AS hi FROM archive_record');
      assert.deepEqual([rows[0].lo, rows[0].hi], [2, 2], 'each record claimed exactly once');
    });

    it('skips rows another transaction holds locked instead of waiting for them', async () => {
      const locked = await insert({ due: '-1 minute' });
      const free = await insert({ due: '-30 seconds' });
      await sql.query('BEGIN');
      try {
        await sql.query('SELECT id FROM archive_record WHERE id = $1 FOR UPDATE', [locked]);
        const started = Date.now();
        const claimed = await Promise.race([
          b.records.claimDue(10),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('claimDue blocked on a locked row')), 3000).unref()),
        ]);
        assert.deepEqual(
          claimed.map((r) => r.id),
          [free],
        );
        assert.ok(Date.now() - started < 1500);
      } finally {
        await sql.query('ROLLBACK');
      }
      // Once the lock is gone, the skipped record is claimable.
      assert.deepEqual(
        (await a.records.claimDue(10)).map((r) => r.id),
        [locked],
      );
    });
  });

  describe('state changes', () => {
    it('markFailed reschedules after the given delay and keeps the error; markArchived finishes the record', async () => {
      const id = await insert({ due: '-1 second' });
      await a.records.claimDue(1);
      await a.records.markFailed(id, 1500, `TimeoutError: ${'x'.repeat(5000)}`);
      let r = (await row(id))!;
      const dueIn = Number(r.due_in_ms);
      assert.ok(dueIn > 0 && dueIn <= 1500, `due in ${dueIn} ms`);
      assert.match(r.last_error!, /^TimeoutError/);
      assert.ok(r.last_error!.length <= 1000, 'error text is bounded');
      assert.equal(r.archived_at, null);
      assert.deepEqual(await a.records.claimDue(10), [], 'not before its backoff');
      a.records.markArchived(id);
      await a.records.flushArchived();
      r = (await row(id))!;
      assert.ok(r.archived_at instanceof Date);
      assert.equal(r.last_error, null);
    });

    it('markFailed after the record was archived (e.g. by another instance) leaves it archived', async () => {
      const id = await insert({ due: '-1 second' });
      a.records.markArchived(id);
      await a.records.flushArchived();
      await a.records.markFailed(id, 10, 'late failure');
      const r = (await row(id))!;
      assert.ok(r.archived_at instanceof Date);
      assert.equal(r.last_error, null);
      assert.deepEqual(await a.records.claimDue(10), []);
    });

    it('markArchived marks are written in a batch shortly after (or at once by flushArchived)', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 30; i++) ids.push(await insert({ due: '+1 minute' }));
      for (const id of ids.slice(0, 20)) a.records.markArchived(id);
      const archivedCount = async (subset: number[]) =>
        (await sql.query('SELECT count(*)::int AS n FROM archive_record WHERE archived_at IS NOT NULL AND id = ANY ($1)', [subset])).rows[0]
          .n;
      assert.ok(
        await eventually(async () => (await archivedCount(ids.slice(0, 20))) === 20, 5000),
        'noted marks reach the table by themselves',
      );
      for (const id of ids.slice(20)) a.records.markArchived(id);
      await a.records.flushArchived();
      assert.equal(await archivedCount(ids.slice(20)), 10, 'flushArchived writes every mark noted so far before it resolves');
      await a.records.flushArchived(); // nothing pending: a no-op
      assert.equal((await a.records.backlog()).pending, 0);
    });

    it('release makes a leased record due at once', async () => {
      const id = await insert({ due: '+10 minutes' });
      assert.deepEqual(await b.records.claimDue(10), []);
      await a.records.release(id);
      assert.deepEqual(
        (await b.records.claimDue(10)).map((r) => r.id),
        [id],
      );
    });

    it('backlog counts unarchived records and reports the oldest one’s age', async () => {
      assert.deepEqual(await a.records.backlog(), { pending: 0, oldestPendingAgeSeconds: 0 });
      await insert({ created: '-90 seconds', due: '+1 minute' });
      await insert({ created: '-5 seconds' });
      await insert({ created: '-1 hour', archived: '-59 minutes' });
      const backlog = await a.records.backlog();
      assert.equal(backlog.pending, 2);
      assert.ok(backlog.oldestPendingAgeSeconds >= 89 && backlog.oldestPendingAgeSeconds < 100, String(backlog.oldestPendingAgeSeconds));
    });
  });

  describe('prune', () => {
    it('deletes only archived records older than the retention', async () => {
      const oldArchived1 = await insert({ created: '-10 days', archived: '-200 hours' });
      const oldArchived2 = await insert({ created: '-10 days', archived: '-169 hours' });
      const recentArchived = await insert({ created: '-10 days', archived: '-167 hours' });
      const oldPending = await insert({ created: '-30 days', due: '+1 hour' });
      const oldPendingDue = await insert({ created: '-30 days', due: '-29 days' });
      const deleted = await a.records.prune(168);
      assert.equal(deleted, 2);
      const { rows } = await sql.query('SELECT id FROM archive_record ORDER BY id');
      const left = rows.map((r) => Number(r.id));
      assert.deepEqual(
        left,
        [recentArchived, oldPending, oldPendingDue].sort((x, y) => x - y),
      );
      assert.ok(!left.includes(oldArchived1) && !left.includes(oldArchived2));
    });

    it('works a batch at a time', async () => {
      for (let i = 0; i < 5; i++) await insert({ archived: '-2 hours' });
      assert.equal(await a.records.prune(1, 2), 2);
      assert.equal(await a.records.prune(1, 2), 2);
      assert.equal(await a.records.prune(1, 2), 1);
      assert.equal(await a.records.prune(1, 2), 0);
    });

    it('retention 0 prunes every archived record and nothing pending', async () => {
      await insert({ archived: '-1 second' });
      const pending = await insert({ due: '-1 second' });
      assert.equal(await a.records.prune(0), 1);
      const { rows } = await sql.query('SELECT id FROM archive_record');
      assert.deepEqual(
        rows.map((r) => Number(r.id)),
        [pending],
      );
    });
  });
});
