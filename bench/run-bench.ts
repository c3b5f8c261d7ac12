/**
 * `npm run bench`: the whole benchmark from a clean clone, on 127.0.0.1 only.
 *
 *  1. embedded PostgreSQL in a fresh temp folder, migrations applied, 1,000,000 warranties seeded (for GET)
 *  2. per service variant (variant.ts): the production build (`node dist/src/main.js`) as a child process,
 *     warmed up, then the row groups in order —
 *     ceiling-rows.ts  the POST transaction straight through `pg` at the service's total pool size (ceiling.ts)
 *     post-rows.ts     POST mix at 64/256/1,024 connections, each bracketed by ceilings; 500 identical first POSTs
 *     open-loop-rows.ts fixed-arrival-rate rows and capacity at SLO for POST (shares of the ceiling) and GET store+sku
 *     batch-rows.ts    POST /api/warranties/batch (skipped when it answers 404)
 *     get-rows.ts      three GET queries
 *     floor-rows.ts    CPU per GET and per POST against the floor, a bare Nest + pg app (bench/floor/)
 *     fairness-rows.ts one store key flooding GETs while another sends 10/s inside its budget (rate limits)
 *     each row measured by row.ts (load child, CPU/RSS per process, pg-work.ts: PostgreSQL work per request)
 *  3. archive-drain.ts: a service with an S3 archive (s3rver) timed while it drains a backlog
 *  4. tables (report.ts): req/s, latency percentiles, failures, the service's peak RSS, CPU per process, POST ÷
 *     ceiling; the open-loop rows; PostgreSQL work per POST; issue 11's goals with this run's figures
 *
 * Every process and temp folder goes away at the end, on failure and on Ctrl-C (session.ts).
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { applyMigrations } from '../src/database/migrate.js';
import { freePort } from '../src/common/free-port.js';
import { startOtlpReceiver } from '../harness/otlp-receiver.js';
import { formatDrain, runArchiveDrain, startS3, type ArchiveDrainResult } from './archive-drain.js';
import type { FairnessRow } from './fairness-rows.js';
import type { FloorRow } from './floor-rows.js';
import { DEEP_CURSOR_DEPTH } from './get-rows.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { findProfiles, formatProfileSummary, summarizeProfile } from './profile-summary.js';
import type { BenchRow, Capacity } from './report.js';
import { printResults } from './results.js';
import { deepAfterIds, seedWarranties, type Seeded } from './seed.js';
import { cleanUp, installExitHandlers, progress, say, session } from './session.js';
import { planVariant, runVariant, SERVICE_ROW_GROUPS } from './variant.js';
import { DEFAULT_POST_MIX } from './workload.js';
import { errorText } from '../src/common/error-text.js';

function machineInfo(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  return [
    `machine: ${os.availableParallelism()} CPUs (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}`,
    `node ${process.version}, ${new Date().toISOString()}, load average ${load}`,
  ].join('\n');
}

/** What this run will do, in two or three lines. */
function describeRun(options: BenchOptions): void {
  say(machineInfo());
  say(
    `mode: ${options.quick ? 'quick' : 'full'}; ${options.durationSeconds} s per row; POST at ${options.postConnections.join('/')} connections; ` +
      `GET at ${options.getConnections.join('/')}; rows: ${[...options.only].join(', ')}${options.profile ? '; CPU profile' : ''}`,
  );
  const extras = [
    ...(options.only.has('open')
      ? [
          `open loop: POST at ${options.openRates.join('/')} % of the ceiling` +
            (options.only.has('get') ? `, GET store+sku at ${options.getOpenRates.join('/')} % of its closed-loop row` : '') +
            `, ${options.openSeconds} s each; capacity search ≤ ${options.searchSteps} steps × ${options.searchSeconds} s`,
        ]
      : []),
    ...(options.only.has('batch') ? [`batches of ${options.batchSizes.join('/')} items, ${options.batchConnections} in flight`] : []),
    ...(options.only.has('floor')
      ? [
          `floor: GET ${options.floorRequests.get} at ${options.floorRates.get}/s, POST ${options.floorRequests.post} at ${options.floorRates.post}/s, ` +
            `${options.floorRounds} service/floor pairs each`,
        ]
      : []),
    ...(options.only.has('fair') ? [`fairness: ${options.fairSeconds} s, one store flooding, another at 10/s`] : []),
  ];
  if (extras.length > 0) say(extras.join('; '));
}

/** Embedded PostgreSQL in the scratch folder, migrations applied; its URL. */
async function startDatabase(scratch: string): Promise<string> {
  const pgPort = await freePort();
  progress.update('starting PostgreSQL');
  session.postgres = await startEmbeddedPostgres(join(scratch, 'postgres'), pgPort, 'warranty');
  const databaseUrl = session.postgres.url;
  progress.update('applying migrations');
  await applyMigrations({ url: databaseUrl });
  say(`PostgreSQL on 127.0.0.1:${pgPort} (embedded, data in ${scratch}), migrations applied`);
  return databaseUrl;
}

/** The catalogue the GET rows read: `rows` warranties over the POST mix's stores and SKUs, and the deep cursors. */
async function seedCatalogue(databaseUrl: string, rows: number): Promise<Seeded> {
  const result = await seedWarranties(
    databaseUrl,
    { warranties: rows, stores: DEFAULT_POST_MIX.stores, skus: DEFAULT_POST_MIX.skus },
    (done, total) =>
      progress.update(
        'seeding',
        `${done.toLocaleString('en')} / ${total.toLocaleString('en')} items (${Math.round((done / total) * 100)} %)`,
      ),
  );
  progress.update('finding deep cursors');
  const seed = { result, afterIds: await deepAfterIds(databaseUrl, DEEP_CURSOR_DEPTH) };
  say(
    `seeded ${result.warranties.toLocaleString('en')} warranties (${result.shape.items.toLocaleString('en')} items, ` +
      `${result.shape.stores.toLocaleString('en')} stores) in ${result.seconds.toFixed(0)} s, then ANALYZE`,
  );
  return seed;
}

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parsed;
  const started = Date.now();
  installExitHandlers();
  const watchdog = setTimeout(() => {
    progress.clear();
    say(`\nthe benchmark ran longer than --max-minutes=${options.maxMinutes}: aborting`);
    void cleanUp().finally(() => process.exit(1));
  }, options.maxMinutes * 60_000);
  describeRun(options);

  const scratch = mkdtempSync(join(os.tmpdir(), 'warranty-bench-'));
  session.scratch = scratch;
  chmodSync(scratch, 0o755); // PostgreSQL runs as its own user and must reach its folder
  const databaseUrl = await startDatabase(scratch);
  const seed = options.only.has('get') || options.only.has('floor') ? await seedCatalogue(databaseUrl, options.rows) : undefined;
  const profileDir = options.profile ? (options.profileDir ?? mkdtempSync(join(os.tmpdir(), 'warranty-bench-profile-'))) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const db = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-monitor' });
  // On Ctrl-C PostgreSQL gets the signal too and drops this connection: a failed query says so, not a crash.
  db.on('error', () => undefined);
  await db.connect();
  const rows: BenchRow[] = [];
  const capacities: Capacity[] = [];
  const floor: FloorRow[] = [];
  const fairness: FairnessRow[] = [];
  const drains: { variant: string; result: ArchiveDrainResult }[] = [];
  if (options.variants.some((variant) => variant.tracing)) {
    session.otlp = await startOtlpReceiver({ decode: false });
    say(`OTLP receiver (counts only) on ${session.otlp.endpoint} for the tracing variant`);
    for (const variant of options.variants.filter((each) => each.tracing))
      variant.env = { ...variant.env, OTEL_EXPORTER_OTLP_ENDPOINT: session.otlp.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
  }
  const plans = options.variants.map((variant, i) => planVariant(options, variant, databaseUrl, join(scratch, `service-${i}`)));
  try {
    if (options.only.has('archive')) {
      progress.update('starting s3rver');
      session.s3 = await startS3(join(scratch, 's3'));
      say(`s3rver (S3 protocol) on ${session.s3.endpoint} for the archive drain`);
    }
    for (const plan of plans) {
      if (SERVICE_ROW_GROUPS.some((group) => options.only.has(group))) {
        const measured = await runVariant(options, plan, seed, db, profileDir);
        rows.push(...measured.rows);
        capacities.push(...measured.capacities);
        floor.push(...measured.floor);
        fairness.push(...measured.fairness);
      }
      if (session.s3) {
        const result = await runArchiveDrain(options, plan, db, session.s3);
        drains.push({ variant: plan.variant.name, result });
        say(`  ${formatDrain(result, plan.variant.name)}`);
      }
    }
  } finally {
    await db.end().catch(() => undefined);
  }

  progress.clear();
  printResults(options, rows, capacities, floor, fairness, drains);
  if (session.otlp)
    say(`\ntracing on: ${session.otlp.contentTypes.length} trace exports (${Math.round(session.otlp.bytes / 1024)} KiB) received`);

  let profileText: string | undefined;
  if (profileDir) {
    const files = findProfiles(profileDir);
    if (files.length === 0) say(`\nno .cpuprofile was written to ${profileDir}`);
    for (const file of files) {
      profileText = formatProfileSummary(summarizeProfile(file));
      say(`\n${profileText}`);
    }
  }

  const wallSeconds = (Date.now() - started) / 1000;
  say(`\nwall time: ${Math.floor(wallSeconds / 60)} min ${Math.round(wallSeconds % 60)} s`);
  if (options.jsonFile) {
    writeFileSync(
      options.jsonFile,
      JSON.stringify(
        {
          machine: machineInfo(),
          options: { ...options, only: [...options.only] },
          plans,
          seed,
          rows,
          capacities,
          floor,
          fairness,
          drains,
          profile: profileText,
          wallSeconds,
        },
        null,
        2,
      ),
    );
    say(`results written to ${options.jsonFile}`);
  }
  clearTimeout(watchdog);
  const drainFailed = drains.some(({ result }) => result.timedOut || result.objects !== result.records);
  return rows.some((row) => row.failure) || floor.some((row) => row.failure) || fairness.some((row) => row.failure) || drainFailed ? 1 : 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  progress.clear();
  if (!session.interrupted) say(`\nbenchmark failed: ${errorText(error)}`);
  if (session.service && !session.interrupted) say(`service output:\n${session.service.tail()}`);
} finally {
  progress.update('cleaning up');
  await cleanUp();
  progress.clear();
}
process.exit(session.interrupted ? 130 : exitCode);
