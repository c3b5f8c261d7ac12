/**
 * The database's limit on this machine: the service's per-POST transaction, straight through `pg`
 * with no HTTP, no Nest and no ORM, at the concurrency of the service's whole connection pool.
 * It runs the service's own code (WarrantiesService.submit → StoresService, ItemsService, ArchiveOutbox
 * over PgDatabase), so the statements, their order and the store-id cache can never drift from the
 * service's; only the pool is a plain `pg.Pool` instead of MikroORM's. Same key distribution as the
 * HTTP load (PostWorkload). Archive records stay leased to this process and are marked archived in one
 * statement at the end, so the service's sweeper leaves them alone; with `archiveUpdate` the
 * archive's batched "archived" marks run too, as the service writes them after each upload.
 */
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ArchiveOutbox } from '../src/archive/archive-outbox.js';
import { loadConfig } from '../src/config/app-config.js';
import { PgDatabase } from '../src/database/pg-database.js';
import { ItemsService } from '../src/items/items.service.js';
import { PricingService } from '../src/pricing/pricing.service.js';
import { ACTIVE_PRICING } from '../src/pricing/pricing-rules.js';
import { StoresService } from '../src/stores/stores.service.js';
import { WARRANTY_CREATED, type WarrantyCreatedEvent } from '../src/warranties/events/warranty-created.event.js';
import { WarrantiesService } from '../src/warranties/warranties.service.js';
import { cpuPercent, MAX_REQUESTS_PER_ROW, readJob, reportProgress, reportResult, type MeasuredResult } from './child-protocol.js';
import { LatencyHistogram } from './histogram.js';
import { PostWorkload, type PostMix } from './workload.js';

export interface CeilingJob {
  /** The service's environment: database URL, pool size, archive lease, exactly as the service reads them. */
  serviceEnv: Record<string, string>;
  /** = the service's total database connections (workers × DB_POOL_SIZE). */
  concurrency: number;
  durationSeconds: number;
  mix: PostMix;
  /** Also write the archive's batched "archived" marks (ArchiveOutbox.markArchived), as after each upload. */
  archiveUpdate: boolean;
}

const CEILING_REQUEST_PREFIX = 'bench-ceiling-';

const job = readJob<CeilingJob>();
const config = loadConfig(job.serviceEnv);
const pool = new pg.Pool({ connectionString: config.database.url, max: job.concurrency, application_name: 'bench-ceiling' }); // run-bench watches it by this name
pool.on('error', () => undefined); // an idle connection dropped by the server fails the next query instead
const db = new PgDatabase(pool);
const outbox = new ArchiveOutbox(db, config);
const events = new EventEmitter2();
if (job.archiveUpdate) events.on(WARRANTY_CREATED, (event: WarrantyCreatedEvent) => outbox.markArchived(event.record.id));
const warranties = new WarrantiesService(
  db,
  new StoresService(db),
  new ItemsService(db),
  new PricingService(ACTIVE_PRICING),
  outbox,
  events,
);
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
      const { status } = await warranties.submit(payload, {
        requestId: `${CEILING_REQUEST_PREFIX}${randomUUID()}`,
        receivedAt: new Date(),
        rawBody: payload,
      });
      histogram.record(performance.now() - begun);
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
      ok++;
    } catch (error) {
      errors++;
      if (firstErrors.length < 5) firstErrors.push(error instanceof Error ? error.message : String(error));
    }
  }
}

const ticker = setInterval(() => reportProgress({ elapsedSeconds: (Date.now() - started) / 1000, ok, failed: errors }), 1000);
await Promise.all(Array.from({ length: job.concurrency }, () => worker()));
clearInterval(ticker);
const wallMs = Date.now() - started;
await outbox.flushArchived();
await pool.query(`UPDATE archive_record SET archived_at = now() WHERE archived_at IS NULL AND document->>'request_id' LIKE $1`, [
  `${CEILING_REQUEST_PREFIX}%`,
]);
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
