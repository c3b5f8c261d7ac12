/**
 * The database's limit on this machine: the service's per-POST transaction, straight through `pg`
 * with no HTTP, at the concurrency of the service's whole connection pool. It runs the service's own
 * code — WarrantiesService.submit from a Nest testing module of the warranties and archive modules, so
 * the statements, their order, the store-id cache and the archive listener can never drift from the
 * service's; only `Sql` runs on a plain `pg.Pool` instead of MikroORM's, and nothing is uploaded.
 * Same key distribution as the HTTP load (PostWorkload). Archive records stay leased to this process
 * and are marked archived in one statement at the end, so the service's sweeper leaves them alone; with
 * `archiveUpdate` the archive's batched "archived" marks run too, as the service writes them after
 * each upload.
 */
import { EventEmitterModule } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Caller } from '../src/access/api-key.js';
import { ArchiveModule } from '../src/archive/archive.module.js';
import type { ArchiveRecordRef } from '../src/archive/archive-record.js';
import { ArchiveRecordRepository } from '../src/archive/archive-record.repository.js';
import { ArchiveSweeper } from '../src/archive/archive-sweeper.js';
import { ArchiveUploader } from '../src/archive/archive-uploader.js';
import { loadConfig } from '../src/config/app-config.js';
import { databaseConnection } from '../src/config/database-url.js';
import { Sql } from '../src/database/sql.js';
import { MetricsModule } from '../src/metrics/metrics.module.js';
import { WarrantiesModule } from '../src/warranties/warranties.module.js';
import { WarrantiesService } from '../src/warranties/warranties.service.js';
import { compileModule } from '../test/support/test-env.js';
import { cpuPercent, MAX_REQUESTS_PER_ROW, readJob, reportProgress, reportResult, type MeasuredResult } from './child-protocol.js';
import { LatencyHistogram } from './histogram.js';
import { PostWorkload, type PostMix } from './workload.js';
import { errorText } from '../src/common/error-text.js';

export interface CeilingJob {
  /** The service's environment: database URL, pool size, archive lease, exactly as the service reads them. */
  serviceEnv: Record<string, string>;
  /** = the service's total database connections (workers × DB_POOL_SIZE). */
  concurrency: number;
  durationSeconds: number;
  mix: PostMix;
  /** Also write the archive's batched "archived" marks (ArchiveRecordRepository.markArchived), as after each upload. */
  archiveUpdate: boolean;
}

const CEILING_REQUEST_PREFIX = 'bench-ceiling-';
/** The ceiling calls the service directly, as an admin key's request would (the key's check is HTTP's cost, measured there). */
const BENCH_CALLER: Caller = { kind: 'admin', keyPrefix: 'wsk_admin_000000000000' };

const job = readJob<CeilingJob>();
// One transaction per request, as the yardstick always was: group commit off (groups of one, as
// many in flight as there are connections).
const config = loadConfig({
  ...job.serviceEnv,
  DB_POOL_SIZE: String(job.concurrency),
  DB_WRITE_GROUPS: String(job.concurrency),
  DB_WRITE_GROUP_MAX: '1',
});
// The service's own connection options (TLS as DATABASE_URL says); run-bench watches the pool by its application_name.
const { options: connection } = await databaseConnection(config.database.url!);
const pool = new pg.Pool({ ...connection, max: job.concurrency, application_name: 'bench-ceiling' });
pool.on('error', () => undefined); // an idle connection dropped by the server fails the next query instead
const records: { repository?: ArchiveRecordRepository } = {};
const moduleRef = await compileModule(
  config,
  { imports: [EventEmitterModule.forRoot(), MetricsModule, WarrantiesModule, ArchiveModule] },
  (builder) =>
    builder
      .overrideProvider(Sql)
      .useValue(new Sql(pool))
      // No uploads and no sweeps here: only the database work of a POST is measured.
      .overrideProvider(ArchiveUploader)
      .useValue({
        offer: async (record: ArchiveRecordRef) => {
          if (job.archiveUpdate) records.repository!.markArchived(record.id);
          return true;
        },
      })
      .overrideProvider(ArchiveSweeper)
      .useValue({}),
);
const warranties = moduleRef.get(WarrantiesService);
const archiveRecords = moduleRef.get(ArchiveRecordRepository);
records.repository = archiveRecords;
const workload = new PostWorkload(job.mix);
const histogram = new LatencyHistogram();
const statusCounts: Record<string, number> = {};
const firstErrors: string[] = [];
let ok = 0;
let errors = 0;

// Open every connection first, so connection set-up is not measured.
const warm = await Promise.all(Array.from({ length: job.concurrency }, () => pool.connect()));
for (const client of warm) client.release();

const cpuStart = process.cpuUsage();
const started = Date.now();
const deadline = started + job.durationSeconds * 1000;

async function worker(): Promise<void> {
  while (Date.now() < deadline && ok + errors < MAX_REQUESTS_PER_ROW) {
    const begun = performance.now();
    try {
      const payload = workload.next();
      const { created } = await warranties.submit(payload, {
        requestId: `${CEILING_REQUEST_PREFIX}${randomUUID()}`,
        receivedAt: new Date(),
        payload,
        caller: BENCH_CALLER,
      });
      const status = created ? 201 : 200;
      histogram.record(performance.now() - begun);
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
      ok++;
    } catch (error) {
      errors++;
      if (firstErrors.length < 5) firstErrors.push(errorText(error));
    }
  }
}

const ticker = setInterval(() => reportProgress({ elapsedSeconds: (Date.now() - started) / 1000, ok, failed: errors }), 1000);
await Promise.all(Array.from({ length: job.concurrency }, () => worker()));
clearInterval(ticker);
const wallMs = Date.now() - started;
await archiveRecords.flushArchived();
await pool.query(`UPDATE archive_record SET archived_at = now() WHERE archived_at IS NULL AND document->>'request_id' LIKE $1`, [
  `${CEILING_REQUEST_PREFIX}%`,
]);
await moduleRef.close();
await pool.end();

const result: MeasuredResult = {
  seconds: wallMs / 1000,
  ok,
  perSecond: ok / (wallMs / 1000),
  latency: histogram.summary(),
  statusCounts,
  non2xx: 0,
  errors,
  timeouts: 0,
  generatorCpuPercent: cpuPercent(cpuStart, wallMs),
  newItems: workload.newItems,
  resends: workload.resends,
  firstErrors,
};
reportResult(result);
