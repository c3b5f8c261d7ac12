/**
 * How fast a running service empties an archive backlog into a real S3-protocol server: s3rver on
 * 127.0.0.1 (the server the tests use), a service started with S3_BUCKET/S3_ENDPOINT, then N due
 * records committed at once (as after an S3 outage) and the time until none is pending.
 */
import { CreateBucketCommand, ListObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import S3rver from 's3rver';
import { archiveKey } from '../src/archive/archive-key.js';
import type { ArchiveDocument } from '../src/archive/archive-record.js';
import type { BenchOptions } from './options.js';
import { ARCHIVE_SETTLE_TIMEOUT_MS } from './pg-work.js';
import { progress, startService, stopService } from './session.js';
import type { VariantPlan } from './variant.js';
import { PostWorkload } from './workload.js';

const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
const BUCKET = 'bench-archive';
const INSERT_BATCH = 1000;

export interface ArchiveDrainResult {
  records: number;
  seconds: number;
  perSecond: number;
  /** Objects found in the bucket afterwards (must equal `records`). */
  objects: number;
  timedOut: boolean;
}

export interface RunningS3 {
  endpoint: string;
  /** The service environment that points the archive at this server. */
  serviceEnv: Record<string, string>;
  countObjects(): Promise<number>;
  stop(): Promise<void>;
}

export async function startS3(directory: string): Promise<RunningS3> {
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, allowMismatchedSignatures: true });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: S3_CREDENTIALS.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  return {
    endpoint,
    serviceEnv: { ...S3_CREDENTIALS, S3_BUCKET: BUCKET, S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true', S3_REGION: 'us-east-1' },
    async countObjects() {
      // ListObjects (v1) paged by Marker: s3rver's v2 listing fails on OpenSSL 3 as soon as it is
      // truncated (its continuation token uses a cipher Node 24 no longer offers).
      let count = 0;
      let marker: string | undefined;
      for (;;) {
        const page = await client.send(new ListObjectsCommand({ Bucket: BUCKET, Marker: marker }));
        const keys = (page.Contents ?? []).map((object) => object.Key!);
        count += keys.length;
        if (!page.IsTruncated || keys.length === 0) return count;
        marker = keys[keys.length - 1];
      }
    },
    async stop() {
      client.destroy();
      await server.close();
    },
  };
}

/**
 * Commits `count` due archive records in one transaction: real request bodies from the POST workload and a
 * 201 response with a shortened body (~0.5 KB per document against ~1.2 KB for a real one; an upload's cost
 * here is per request, not per byte).
 */
async function insertBacklog(db: pg.Client, count: number): Promise<void> {
  const workload = new PostWorkload();
  const receivedAt = new Date();
  await db.query('BEGIN');
  for (let done = 0; done < count; done += INSERT_BATCH) {
    const eventIds: string[] = [];
    const keys: string[] = [];
    const documents: string[] = [];
    for (let i = done; i < Math.min(count, done + INSERT_BATCH); i++) {
      const request = workload.next();
      const eventId = randomUUID();
      const document: ArchiveDocument = {
        event_id: eventId,
        request_id: `bench-drain-${eventId}`,
        received_at: receivedAt.toISOString(),
        key_prefix: 'wsk_admin_000000000000',
        request,
        response: { status: 201, body: { warranties: [{ id: i + 1, store_uuid: request.store_uuid, item_sku: request.item_sku }] } },
      };
      eventIds.push(eventId);
      keys.push(archiveKey(receivedAt, request.store_uuid, eventId));
      documents.push(JSON.stringify(document));
    }
    await db.query(
      `INSERT INTO archive_record (event_id, object_key, document, attempts, next_attempt_at)
       SELECT e, k, d::jsonb, 0, now() FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(e, k, d)`,
      [eventIds, keys, documents],
    );
  }
  await db.query('COMMIT');
}

/**
 * Inserts the backlog while the service (already running with an S3 archive) watches, then waits,
 * bounded, until it has all been uploaded. The clock starts at COMMIT.
 */
export async function measureArchiveDrain(
  db: pg.Client,
  s3: RunningS3,
  count: number,
  timeoutMs: number,
  onProgress: (pending: number) => void,
): Promise<ArchiveDrainResult> {
  const objectsBefore = await s3.countObjects();
  await insertBacklog(db, count);
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  let pending = count;
  while (pending > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    pending = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM archive_record WHERE archived_at IS NULL')).rows[0].n);
    onProgress(pending);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    records: count,
    seconds,
    perSecond: (count - pending) / seconds,
    objects: (await s3.countObjects()) - objectsBefore,
    timedOut: pending > 0,
  };
}

/** A service of this variant with its archive on S3 (s3rver), timed while it drains a backlog; then stopped. */
export async function runArchiveDrain(
  options: BenchOptions,
  plan: VariantPlan,
  db: pg.Client,
  target: RunningS3,
): Promise<ArchiveDrainResult> {
  progress.update('archive drain', 'starting the service with an S3 archive');
  await startService(
    { ...plan.env, ...target.serviceEnv },
    { inherit: 'basics', mainScript: plan.variant.mainScript, readyTimeoutMs: 60_000 },
  );
  try {
    return await measureArchiveDrain(db, target, options.archiveRecords, ARCHIVE_SETTLE_TIMEOUT_MS * 2, (pending) =>
      progress.update('archive drain', `${pending.toLocaleString('en')} of ${options.archiveRecords.toLocaleString('en')} pending`),
    );
  } finally {
    await stopService();
  }
}

export function formatDrain(result: ArchiveDrainResult, variant: string): string {
  const name = variant ? `[${variant}] ` : '';
  return (
    `${name}archive drain into S3 (s3rver on 127.0.0.1): ${result.records.toLocaleString('en')} records in ${result.seconds.toFixed(1)} s ` +
    `= ${result.perSecond.toFixed(0)} records/s; ${result.objects.toLocaleString('en')} objects stored` +
    (result.timedOut ? ' — TIMED OUT before the backlog was empty' : '') +
    (result.objects !== result.records ? ' — OBJECT COUNT DIFFERS' : '')
  );
}
