/**
 * `npm run bench`: the whole benchmark from a clean clone, on 127.0.0.1 only.
 *
 *  1. embedded PostgreSQL in a fresh temp folder, migrations applied, 1,000,000 warranties seeded (for GET)
 *  2. per service variant: the production build (`node dist/src/main.js`) as a child process, warmed up
 *  3. ceiling: the POST transaction straight through `pg` at the service's total pool size (ceiling.ts)
 *  4. POST mix at 64/256/1,024 connections, then three GET queries, each from a separate load process (load.ts)
 *  5. fixed-arrival-rate (open-loop) rows and capacity at SLO for POST (shares of the ceiling) and GET store+sku,
 *     batch rows (POST /api/warranties/batch; skipped when it answers 404), 500 identical first POSTs (paced-load.ts)
 *  6. tables: req/s, latency percentiles, failures, the service's peak RSS, CPU per process, POST ÷ ceiling; the
 *     open-loop rows; PostgreSQL work per POST; issue 11's goals with this run's figures
 *
 * Every process and temp folder goes away at the end, on failure and on Ctrl-C.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { withTimeout } from './with-timeout.js';
import { loadConfig } from '../src/config/app-config.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/database/embedded-postgres.js';
import { applyMigrations } from '../src/database/migrate.js';
import { encodeCursor } from '../src/warranties/page-cursor.js';
import { freePort } from '../src/common/free-port.js';
import { defaultKey, send } from '../harness/http-client.js';
import { sample } from '../harness/metrics-sample.js';
import { startServiceProcess, type ServiceProcess } from '../harness/service-process.js';
import { measureArchiveDrain, startS3, type ArchiveDrainResult, type RunningS3 } from './archive-drain.js';
import type { CeilingJob } from './ceiling.js';
import { MAX_REQUESTS_PER_ROW, runJsonChild, type ChildRun, type MeasuredResult } from './child-protocol.js';
import type { LoadJob } from './load.js';
import type { PacedJob } from './paced-load.js';
import { BATCH_PATH, type LoadScenario } from './requests.js';
import { parseOptions, USAGE, type BenchOptions, type ScenarioGroup, type Variant } from './options.js';
import { PgActivitySampler, type ActivitySummary } from './pg-activity.js';
import { findProfiles, formatProfileSummary, summarizeProfile } from './profile-summary.js';
import { findPostmaster, signalDescendants, TreeSampler } from './proc-tree.js';
import { ProgressLine } from './progress.js';
import {
  formatBatchSummary,
  formatCapacity,
  formatGoals,
  formatOpenLoopTable,
  formatPostCost,
  formatResultsTable,
  formatRowDetails,
  formatSummary,
  type BenchRow,
  type Capacity,
} from './report.js';
import { deepAfterIds, seedWarranties, type SeedResult } from './seed.js';

import { SloBisection, sloVerdict } from './slo.js';
import { BatchWorkload, DEFAULT_POST_MIX } from './workload.js';

const LOAD_SCRIPT = fileURLToPath(new URL('./load.js', import.meta.url));
const CEILING_SCRIPT = fileURLToPath(new URL('./ceiling.js', import.meta.url));
const PACED_SCRIPT = fileURLToPath(new URL('./paced-load.js', import.meta.url));

const GET_PAGE_SIZE = 100;
/** How far into an item type's rows (in id order) the deep cursor points. */
const DEEP_CURSOR_DEPTH = 0.9;
const HTTP_TIMEOUT_SECONDS = 10;
/** A 500-item batch is one request doing 500 items' work: more time before it counts as timed out. */
const BATCH_TIMEOUT_SECONDS = 30;
/** Connections the open-loop generator may open: as many as the largest closed-loop row; beyond that requests wait in the generator (counted). */
const OPEN_LOOP_CONNECTIONS = 1024;
/** Latency objectives of issue 11, for the capacity searches: p99 from each request's scheduled time. */
const POST_SLO_P99_MS = 50;
const GET_SLO_P99_MS = 10;
/** The capacity search brackets, as shares of the base rate (POST: the ceiling; GET: its closed-loop row). */
const SEARCH_LOW = 0.1;
const SEARCH_HIGH = 1.2;
/** A search stops early once the bracket is this narrow (shares of the base). */
const SEARCH_RESOLUTION = 0.02;
/** Concurrent identical first POSTs of one new item (issue 11: one 201, the rest 200, no 503). */
const IDENTICAL_POSTS = 500;
/** PostgreSQL application_name of the service's connections (src/database/mikro-orm.config.ts) and of the ceiling's. */
const SERVICE_APPLICATION_NAME = 'warranty-service';
const CEILING_APPLICATION_NAME = 'bench-ceiling';
const ARCHIVE_SETTLE_TIMEOUT_MS = 60_000;

const progress = new ProgressLine();
const say = (line = '') => progress.log(line);

// ---- resources, and their clean-up on every way out ----

let scratch: string | undefined;
let postgres: RunningPostgres | undefined;
let service: ServiceProcess | undefined;
let s3: RunningS3 | undefined;
let activeChild: ChildRun<unknown> | undefined;
let cleaning: Promise<void> | undefined;
/** Set on Ctrl-C: the run stops starting things and stays quiet about the failures the shutdown causes. */
let interrupted = false;

/** Load → service → PostgreSQL → temp folder, each step bounded in time. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    activeChild?.kill();
    // Short grace: after Ctrl-C PostgreSQL is usually gone already, and the service's own drain would only wait on it.
    await withTimeout(service?.stop('SIGTERM', 5_000) ?? Promise.resolve(0), 10_000, 'stopping the service').catch(() => undefined);
    await withTimeout(s3?.stop() ?? Promise.resolve(), 5_000, 'stopping s3rver').catch(() => undefined);
    // On Ctrl-C PostgreSQL got the signal too and may be gone already (then stop() would wait for nothing).
    if (findPostmaster() !== undefined)
      await withTimeout(postgres?.stop() ?? Promise.resolve(), 20_000, 'stopping PostgreSQL').catch(() => undefined);
    signalDescendants('SIGKILL');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  })();
  return cleaning;
}

function installExitHandlers(): void {
  // This script owns the shutdown order (load, service, then database); startEmbeddedPostgres keeps
  // embedded-postgres's own exit hooks out of the way. A second signal kills everything at once.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (cleaning) {
        signalDescendants('SIGKILL');
        process.exit(130);
      }
      interrupted = true;
      progress.clear();
      say(`\n${signal}: stopping the load, the service and PostgreSQL, removing temp folders…`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  // Last resort (uncaught error, process.exit elsewhere): nothing may outlive the benchmark.
  process.on('exit', () => {
    signalDescendants('SIGKILL');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });
}

// ---- one measured row ----

interface DbCounters {
  /** The next transaction id: only writing transactions take one, so the difference counts write transactions. */
  nextXid: number;
  walBytes: number;
  /** Highest archive record id: every committed POST (and ceiling transaction) writes exactly one. */
  lastArchiveId: number;
}

/** Read at once, unlike pg_stat_database (whose counters lag by up to the stats flush interval). */
async function dbCounters(db: pg.Client): Promise<DbCounters> {
  const { rows } = await db.query<{ xid: string; wal: string; archive: string | null }>(
    `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS wal,
            (SELECT max(id) FROM archive_record) AS archive`,
  );
  return { nextXid: Number(rows[0].xid), walBytes: Number(rows[0].wal), lastArchiveId: Number(rows[0].archive ?? 0) };
}

/** Waits (bounded) until the service has archived every outbox record; returns how many were pending at first. */
async function settleArchive(db: pg.Client): Promise<number> {
  const pending = async () =>
    Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM archive_record WHERE archived_at IS NULL')).rows[0].n);
  const first = await pending();
  const deadline = Date.now() + ARCHIVE_SETTLE_TIMEOUT_MS;
  for (let left = first; left > 0 && Date.now() < deadline; left = await pending()) {
    progress.update('settling', `${left} archive records pending`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return first;
}

/** The service's group-commit counters (warranty_write_group_size histogram); zeros in builds without them. */
async function writeGroupCounters(url: string): Promise<{ groups: number; posts: number } | undefined> {
  const text = await send(url, '/metrics', { timeoutMs: 10_000 }).then(
    (reply) => reply.text,
    () => undefined,
  );
  if (text === undefined) return undefined;
  return { groups: sample(text, 'warranty_write_group_size_count'), posts: sample(text, 'warranty_write_group_size_sum') };
}

interface Measured {
  result: MeasuredResult;
  window: ReturnType<TreeSampler['endWindow']>;
  activity: ActivitySummary;
  db: { writeTxPerRequest: number; walKbPerRequest: number; pgCpuMsPerRequest: number; archiveBacklog: number };
}

/** Runs one row's child and watches the machine meanwhile: process CPU/RSS, the client's PostgreSQL connections, WAL. */
async function measure(
  label: string,
  watch: { sampler: TreeSampler; activity: PgActivitySampler; applicationName: string },
  db: pg.Client,
  start: () => ChildRun<MeasuredResult>,
): Promise<Measured> {
  // Fresh statistics before every row, as autovacuum keeps them in a database that has run a while. Without
  // them, plans PostgreSQL cached while a table was nearly empty (at warm-up) go on scanning it whole after
  // the ceiling or an earlier row has filled it, until the first autoanalyze (autovacuum_naptime, 1 min);
  // ANALYZE also makes every connection plan its prepared statements anew.
  await db.query('ANALYZE');
  const before = await dbCounters(db);
  watch.sampler.beginWindow();
  watch.activity.start(watch.applicationName);
  const run = start();
  activeChild = run;
  try {
    const result = await run.result;
    const window = watch.sampler.endWindow();
    const activity = await watch.activity.stop();
    const archiveBacklog = await settleArchive(db);
    const after = await dbCounters(db);
    // Per request the server completed: for writes that is the archive records written (requests still in
    // flight when the load stopped finish on the server but are not counted by the client), for reads the 2xx.
    // Batch rows write one archive record per request: their unit is the item answered 200/201.
    const written = after.lastArchiveId - before.lastArchiveId;
    const units = Math.max(1, result.items ? result.items.ok : written > 0 ? written : result.ok);
    // PostgreSQL's CPU (all its processes) during the row, as CPU time.
    const pgCpuMs = (window.cpuPercent.postgres / 100) * window.wallSeconds * 1000;
    return {
      result,
      window,
      activity,
      db: {
        writeTxPerRequest: (after.nextXid - before.nextXid) / units,
        walKbPerRequest: (after.walBytes - before.walBytes) / 1024 / units,
        pgCpuMsPerRequest: pgCpuMs / units,
        archiveBacklog,
      },
    };
  } catch (error) {
    watch.sampler.endWindow();
    await watch.activity.stop();
    throw new Error(`${label}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    activeChild = undefined;
  }
}

function childOptions(label: string, durationSeconds: number, graceSeconds = 60) {
  return {
    timeoutMs: (durationSeconds + graceSeconds) * 1000,
    onProgress: (p: { elapsedSeconds: number; ok: number; failed: number }) =>
      progress.update(
        label,
        `${Math.min(durationSeconds, p.elapsedSeconds).toFixed(0)}/${durationSeconds} s, ${p.ok} ok (~${(p.ok / Math.max(1, p.elapsedSeconds)).toFixed(0)}/s), ${p.failed} failed`,
      ),
    onLog: (line: string) => say(`  [${label}] ${line}`),
  };
}

function loadRun(url: string, connections: number, durationSeconds: number, scenario: LoadScenario, label: string) {
  const job: LoadJob = { url, apiKey: defaultKey(url), connections, durationSeconds, timeoutSeconds: HTTP_TIMEOUT_SECONDS, scenario };
  return () => runJsonChild<MeasuredResult>(LOAD_SCRIPT, job, childOptions(label, durationSeconds));
}

// ---- the run ----

interface VariantPlan {
  variant: Variant;
  env: Record<string, string>;
  workers: number;
  poolSize: number;
}

function planVariant(options: BenchOptions, variant: Variant, databaseUrl: string, dir: string): VariantPlan {
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    // Keeps the output tail (shown when a row fails) to warnings; access logs at 'log' measured the same.
    LOG_LEVEL: 'warn',
    // Bounds the service's own shutdown (archive drain) between variants and on Ctrl-C.
    SHUTDOWN_DRAIN_MS: '5000',
    DATA_DIR: join(dir, 'data'),
    ARCHIVE_DIR: join(dir, 'archive'),
    ...variant.env,
    ...(options.profile ? { WEB_CONCURRENCY: '1' } : {}),
  };
  // The service runs in its default configuration (WEB_CONCURRENCY, its own DB_POOL_SIZE) unless told
  // otherwise; its own config parser decides both, exactly as it will at start-up.
  if (options.poolSize !== undefined) env.DB_POOL_SIZE ??= String(options.poolSize);
  const config = loadConfig(env);
  const workers = config.workers;
  return { variant, env, workers, poolSize: config.database.poolSize };
}

/** One request of each kind by hand: the deep page must be a full page past the cursor, like the first page. */
async function checkPages(url: string, afterIds: Record<string, number>): Promise<string> {
  const type = Object.keys(afterIds).sort()[0];
  const fetchPage = async (query: string) => {
    const response = await send(url, `/api/warranties?${query}`, { timeoutMs: 10_000 });
    const body = (response.body ?? {}) as { warranties?: { id: number }[] };
    return { status: response.status, ids: (body.warranties ?? []).map((w) => w.id) };
  };
  const first = await fetchPage(`item_type=${type}&limit=${GET_PAGE_SIZE}`);
  const deep = await fetchPage(`item_type=${type}&limit=${GET_PAGE_SIZE}&cursor=${encodeCursor(afterIds[type])}`);
  const full = (page: { status: number; ids: number[] }) => page.status === 200 && page.ids.length === GET_PAGE_SIZE;
  if (!full(first) || !full(deep) || deep.ids[0] <= afterIds[type]) {
    throw new Error(
      `GET check failed for ${type}: first page ${first.status}/${first.ids.length} rows, deep page ${deep.status}/${deep.ids.length} rows`,
    );
  }
  return `GET check: ${type} first page ids ${first.ids[0]}…, deep page (cursor after id ${afterIds[type]}) ids ${deep.ids[0]}…, both ${GET_PAGE_SIZE} rows`;
}

async function runVariant(
  options: BenchOptions,
  plan: VariantPlan,
  seed: { result: SeedResult; afterIds: Record<string, number> } | undefined,
  db: pg.Client,
  databaseUrl: string,
  profileDir: string | undefined,
): Promise<{ rows: BenchRow[]; capacities: Capacity[] }> {
  const rows: BenchRow[] = [];
  const capacities: Capacity[] = [];
  const name = plan.variant.name;
  const total = plan.workers * plan.poolSize;
  say(`\nservice${name ? ` [${name}]` : ''}: ${plan.workers} worker(s) × DB_POOL_SIZE=${plan.poolSize} = ${total} PostgreSQL connections`);
  if (Object.keys(plan.variant.env).length > 0) say(`  extra env: ${JSON.stringify(plan.variant.env)}`);
  progress.update('starting the service');
  service = await startServiceProcess(plan.env, {
    inherit: 'basics',
    mainScript: plan.variant.mainScript,
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    readyTimeoutMs: 60_000,
  });
  const postmaster = findPostmaster();
  const sampler = new TreeSampler(() => ({ service: service?.child.pid, postgres: postmaster }));
  const activity = new PgActivitySampler(db);
  const url = service.url;
  const duration = options.durationSeconds;
  const postMix = DEFAULT_POST_MIX;

  const row = async (
    scenario: string,
    connections: number,
    start: () => ChildRun<MeasuredResult>,
    applicationName = SERVICE_APPLICATION_NAME,
    extra: Partial<BenchRow> = {},
  ) => {
    const entry: BenchRow = { variant: name, scenario, connections, ...extra };
    const load = entry.pacing ? `at ${(entry.share! * entry.base!.perSecond).toFixed(0)}/s` : `@${connections}`;
    try {
      // Group commits of single POSTs, from the service's own metrics (absent in builds without them).
      const groupsBefore = scenario.startsWith('POST') ? await writeGroupCounters(url) : undefined;
      const measured = await measure(scenario, { sampler, activity, applicationName }, db, start);
      const groupsAfter = groupsBefore ? await writeGroupCounters(url) : undefined;
      if (groupsBefore && groupsAfter && groupsAfter.groups > groupsBefore.groups) {
        const groups = groupsAfter.groups - groupsBefore.groups;
        entry.writeGroups = { groups, meanSize: (groupsAfter.posts - groupsBefore.posts) / groups };
      }
      entry.result = measured.result;
      entry.window = measured.window;
      entry.activity = measured.activity;
      entry.archiveBacklog = scenario.startsWith('POST') ? measured.db.archiveBacklog : undefined;
      entry.db = {
        writeTxPerRequest: measured.db.writeTxPerRequest,
        walKbPerRequest: measured.db.walKbPerRequest,
        pgCpuMsPerRequest: measured.db.pgCpuMsPerRequest,
      };
      say(`  ${scenario} ${load}: ${measured.result.perSecond.toFixed(0)}/s, p99 ${measured.result.latency.p99.toFixed(1)} ms`);
    } catch (error) {
      if (interrupted) throw error;
      entry.failure = error instanceof Error ? error.message.split('\n')[0] : String(error);
      say(`  ${scenario} ${load}: FAILED ${error instanceof Error ? error.message : String(error)}`);
      const live = await withTimeout(
        fetch(`${url}/health/live`).then((r) => r.ok),
        3000,
        'liveness',
      ).catch(() => false);
      if (service && live !== true) say(`  the service is not answering; its last output:\n${service.tail()}`);
    }
    rows.push(entry);
    return entry;
  };
  const ceilingRow = (scenario: string, archiveUpdate: boolean) => {
    const job: CeilingJob = {
      serviceEnv: plan.env,
      concurrency: total,
      durationSeconds: duration,
      mix: postMix,
      archiveUpdate,
    };
    return row(
      scenario,
      total,
      () => runJsonChild<MeasuredResult>(CEILING_SCRIPT, job, childOptions(scenario, duration)),
      CEILING_APPLICATION_NAME,
    );
  };

  /** A row from our own generator (paced-load.ts): open loop at `pace.rate`, or closed loop at `pace.concurrency`. */
  const pacedRun = (
    pace: PacedJob['pace'],
    seconds: number,
    scenario: LoadScenario,
    label: string,
    limits: { timeoutSeconds?: number; maxRequests?: number } = {},
  ) => {
    const timeoutSeconds = limits.timeoutSeconds ?? HTTP_TIMEOUT_SECONDS;
    const job: PacedJob = {
      url,
      apiKey: defaultKey(url),
      pace,
      durationSeconds: seconds,
      maxRequests: limits.maxRequests ?? MAX_REQUESTS_PER_ROW,
      maxConnections: OPEN_LOOP_CONNECTIONS,
      timeoutSeconds,
      scenario,
    };
    return () => runJsonChild<MeasuredResult>(PACED_SCRIPT, job, childOptions(label, seconds, 2 * timeoutSeconds + 60));
  };
  /** One fixed-arrival-rate row at `share` × the base rate, judged against the p99 objective. */
  const openRow = async (
    scenario: string,
    share: number,
    base: { label: string; perSecond: number },
    seconds: number,
    load: LoadScenario,
    p99Ms: number,
    pacing: 'open' | 'search',
  ) => {
    const entry = await row(scenario, 0, pacedRun({ rate: share * base.perSecond }, seconds, load, scenario), SERVICE_APPLICATION_NAME, {
      pacing,
      share,
      base,
    });
    if (entry.result) entry.slo = { p99Ms, ...sloVerdict(entry.result, p99Ms) };
    return entry;
  };
  const percent = (share: number) => `${Math.round(share * 100)} %`;
  /**
   * Fixed-rate rows at each share of the base, then a short bisection for the highest rate that meets
   * the p99 objective (the fixed rows narrow the bracket first).
   */
  const openLoopSeries = async (
    what: string,
    base: { label: string; perSecond: number },
    shares: number[],
    load: LoadScenario,
    p99Ms: number,
  ) => {
    const bisection = new SloBisection(SEARCH_LOW, SEARCH_HIGH);
    for (const share of shares) {
      const entry = await openRow(`${what} at ${percent(share)} of ${base.label}`, share, base, options.openSeconds, load, p99Ms, 'open');
      if (entry.slo) bisection.note(share, entry.slo.pass);
    }
    let steps = 0;
    while (steps < options.searchSteps && !interrupted) {
      const { passed, failed } = bisection.result;
      if ((failed ?? SEARCH_HIGH) - (passed ?? SEARCH_LOW) < SEARCH_RESOLUTION) break;
      const share = bisection.next();
      steps++;
      const entry = await openRow(`${what} SLO search, ${percent(share)}`, share, base, options.searchSeconds, load, p99Ms, 'search');
      if (!entry.slo) break;
      bisection.note(share, entry.slo.pass);
    }
    const generatorLateRows = rows.filter((entry) => entry.base === base && entry.slo?.generatorLate).length;
    const capacity: Capacity = { variant: name, what, p99Ms, base, ...bisection.result, steps, generatorLateRows };
    capacities.push(capacity);
    say(`  ${formatCapacity(capacity)}`);
  };

  try {
    // Warm-up (not reported): JIT, connection pools, caches.
    const warm = (scenario: LoadScenario, label: string) =>
      runJsonChild<MeasuredResult>(
        LOAD_SCRIPT,
        {
          url,
          apiKey: defaultKey(url),
          connections: 32,
          durationSeconds: options.warmupSeconds,
          timeoutSeconds: HTTP_TIMEOUT_SECONDS,
          scenario,
        } satisfies LoadJob,
        childOptions(label, options.warmupSeconds),
      ).result;
    if (['post', 'ceiling', 'open', 'batch'].some((group) => options.only.has(group as ScenarioGroup)))
      await warm({ kind: 'post', mix: postMix }, 'warm-up POST');
    if (options.only.has('get') && seed) await warm({ kind: 'get-type', limit: GET_PAGE_SIZE }, 'warm-up GET');
    await settleArchive(db);

    // The ceiling brackets every POST row (C, P64, C, P256, C, …) and each row's ratio uses the mean of
    // the ceilings right before and after it: on a shared machine the neighbours' load drifts within
    // minutes, and a row is only comparable with the database's limit measured next to it.
    const withCeiling = options.only.has('ceiling');
    const ceilingNow = async () => (await ceilingRow('ceiling (pg, no HTTP)', false)).result?.perSecond;
    let before = withCeiling ? await ceilingNow() : undefined;
    if (withCeiling && options.ceilingArchiveUpdate) await ceilingRow('ceiling + archive UPDATE (pg)', true);
    if (options.only.has('post')) {
      for (const connections of options.postConnections) {
        const label = `POST @${connections}`;
        const entry = await row('POST mix', connections, loadRun(url, connections, duration, { kind: 'post', mix: postMix }, label));
        const after = withCeiling ? await ceilingNow() : undefined;
        const bracket = [before, after].filter((n): n is number => n !== undefined);
        if (entry.result && bracket.length > 0) {
          entry.ceiling = bracket.reduce((sum, n) => sum + n, 0) / bracket.length;
          entry.ratio = entry.result.perSecond / entry.ceiling;
        }
        before = after;
      }
      // Issue 11: 500 identical first POSTs of one new item at once → one 201, the rest 200, no 503.
      const identicalItem = {
        storeIndex: Math.floor(Math.random() * postMix.stores),
        skuIndex: postMix.skus + Math.floor(Math.random() * 1e6),
      };
      await row(
        `POST ${IDENTICAL_POSTS} identical first POSTs`,
        IDENTICAL_POSTS,
        pacedRun({ concurrency: IDENTICAL_POSTS }, duration, { kind: 'post-identical', ...identicalItem }, 'identical POSTs', {
          maxRequests: IDENTICAL_POSTS,
        }),
      );
    }
    if (options.only.has('open')) {
      // The yardstick is the ceiling measured just before (the last of the brackets above, or one now).
      const ceiling = before ?? (await ceilingNow());
      if (ceiling !== undefined) {
        await openLoopSeries(
          'POST',
          { label: 'ceiling', perSecond: ceiling },
          options.openRates.map((n) => n / 100),
          { kind: 'post', mix: postMix },
          POST_SLO_P99_MS,
        );
      }
    }
    if (options.only.has('batch')) {
      const probe = await probeBatch(url);
      say(`  ${BATCH_PATH}: a 1-item probe answered ${probe}`);
      for (const size of options.batchSizes) {
        const scenario = `POST batch of ${size}`;
        if (probe === 404) {
          rows.push({ variant: name, scenario, connections: options.batchConnections, batchSize: size, unavailable: '404' });
          say(`  ${scenario}: not available (404), skipped`);
          continue;
        }
        await row(
          scenario,
          options.batchConnections,
          pacedRun({ concurrency: options.batchConnections }, duration, { kind: 'post-batch', mix: postMix, size }, scenario, {
            timeoutSeconds: BATCH_TIMEOUT_SECONDS,
          }),
          SERVICE_APPLICATION_NAME,
          { batchSize: size },
        );
      }
    }
    if (options.only.has('get') && seed) {
      say(`  ${await checkPages(url, seed.afterIds)}`);
      for (const c of options.getConnections) {
        await row('GET store_uuid+sku', c, loadRun(url, c, duration, { kind: 'get-store-sku', shape: seed.result.shape }, 'GET store+sku'));
        await row(
          `GET item_type, limit ${GET_PAGE_SIZE}`,
          c,
          loadRun(url, c, duration, { kind: 'get-type', limit: GET_PAGE_SIZE }, 'GET type'),
        );
        await row(
          `GET item_type, cursor ${Math.round(DEEP_CURSOR_DEPTH * 100)} % deep`,
          c,
          loadRun(url, c, duration, { kind: 'get-type-deep', limit: GET_PAGE_SIZE, afterIds: seed.afterIds }, 'GET deep cursor'),
        );
      }
      // Open loop against the closed-loop row with the most connections (its throughput).
      const closed = rows
        .filter((entry) => entry.scenario === 'GET store_uuid+sku' && entry.result)
        .sort((a, b) => b.connections - a.connections)[0];
      if (options.only.has('open') && closed) {
        await openLoopSeries(
          'GET store+sku',
          { label: `closed loop @${closed.connections}`, perSecond: closed.result!.perSecond },
          options.getOpenRates.map((n) => n / 100),
          { kind: 'get-store-sku', shape: seed.result.shape },
          GET_SLO_P99_MS,
        );
      }
    }
  } finally {
    sampler.stop();
    progress.update('stopping the service');
    const code = await service.stop('SIGTERM', 20_000);
    if (code !== 0 && !interrupted) say(`  the service exited with ${code}; its last output:\n${service.tail()}`);
    service = undefined;
  }
  return { rows, capacities };
}

/** One 1-item batch: a 404 means the batch endpoint is not there (yet), and its rows are skipped, not failed. */
async function probeBatch(url: string): Promise<number> {
  const response = await fetch(`${url}${BATCH_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${defaultKey(url)}` },
    body: JSON.stringify(new BatchWorkload(DEFAULT_POST_MIX).next(1)),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_SECONDS * 1000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** A service of this variant with its archive on S3 (s3rver), timed while it drains a backlog; then stopped. */
async function runArchiveDrain(options: BenchOptions, plan: VariantPlan, db: pg.Client, target: RunningS3): Promise<ArchiveDrainResult> {
  progress.update('archive drain', 'starting the service with an S3 archive');
  service = await startServiceProcess(
    { ...plan.env, ...target.serviceEnv },
    { inherit: 'basics', mainScript: plan.variant.mainScript, readyTimeoutMs: 60_000 },
  );
  try {
    return await measureArchiveDrain(db, target, options.archiveRecords, ARCHIVE_SETTLE_TIMEOUT_MS * 2, (pending) =>
      progress.update('archive drain', `${pending.toLocaleString('en')} of ${options.archiveRecords.toLocaleString('en')} pending`),
    );
  } finally {
    progress.update('stopping the service');
    const code = await service.stop('SIGTERM', 20_000);
    if (code !== 0 && !interrupted) say(`  the service exited with ${code}; its last output:\n${service.tail()}`);
    service = undefined;
  }
}

function formatDrain(result: ArchiveDrainResult, variant: string): string {
  const name = variant ? `[${variant}] ` : '';
  return (
    `${name}archive drain into S3 (s3rver on 127.0.0.1): ${result.records.toLocaleString('en')} records in ${result.seconds.toFixed(1)} s ` +
    `= ${result.perSecond.toFixed(0)} records/s; ${result.objects.toLocaleString('en')} objects stored` +
    (result.timedOut ? ' — TIMED OUT before the backlog was empty' : '') +
    (result.objects !== result.records ? ' — OBJECT COUNT DIFFERS' : '')
  );
}

const variantPrefix = (variant: string, show: boolean) => (show ? `[${variant}] ` : '');

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
  ];
  if (extras.length > 0) say(extras.join('; '));

  scratch = mkdtempSync(join(os.tmpdir(), 'warranty-bench-'));
  chmodSync(scratch, 0o755); // PostgreSQL runs as its own user and must reach its folder
  const pgPort = await freePort();
  progress.update('starting PostgreSQL');
  postgres = await startEmbeddedPostgres(join(scratch, 'postgres'), pgPort, 'warranty');
  const databaseUrl = postgres.url;
  progress.update('applying migrations');
  await applyMigrations({ url: databaseUrl });
  say(`PostgreSQL on 127.0.0.1:${pgPort} (embedded, data in ${scratch}), migrations applied`);

  let seed: { result: SeedResult; afterIds: Record<string, number> } | undefined;
  if (options.only.has('get')) {
    const result = await seedWarranties(
      databaseUrl,
      { warranties: options.rows, stores: DEFAULT_POST_MIX.stores, skus: DEFAULT_POST_MIX.skus },
      (done, total) =>
        progress.update(
          'seeding',
          `${done.toLocaleString('en')} / ${total.toLocaleString('en')} items (${Math.round((done / total) * 100)} %)`,
        ),
    );
    progress.update('finding deep cursors');
    seed = { result, afterIds: await deepAfterIds(databaseUrl, DEEP_CURSOR_DEPTH) };
    say(
      `seeded ${result.warranties.toLocaleString('en')} warranties (${result.shape.items.toLocaleString('en')} items, ` +
        `${result.shape.stores.toLocaleString('en')} stores) in ${result.seconds.toFixed(0)} s, then ANALYZE`,
    );
  }

  const profileDir = options.profile ? (options.profileDir ?? mkdtempSync(join(os.tmpdir(), 'warranty-bench-profile-'))) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const db = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-monitor' });
  // On Ctrl-C PostgreSQL gets the signal too and drops this connection: a failed query says so, not a crash.
  db.on('error', () => undefined);
  await db.connect();
  const rows: BenchRow[] = [];
  const capacities: Capacity[] = [];
  const drains: { variant: string; result: ArchiveDrainResult }[] = [];
  const plans = options.variants.map((variant, i) => planVariant(options, variant, databaseUrl, join(scratch!, `service-${i}`)));
  try {
    const rowGroups = ['ceiling', 'post', 'open', 'batch', 'get'] as const;
    if (options.only.has('archive')) {
      progress.update('starting s3rver');
      s3 = await startS3(join(scratch, 's3'));
      say(`s3rver (S3 protocol) on ${s3.endpoint} for the archive drain`);
    }
    for (const plan of plans) {
      if (rowGroups.some((group) => options.only.has(group))) {
        const measured = await runVariant(options, plan, seed, db, databaseUrl, profileDir);
        rows.push(...measured.rows);
        capacities.push(...measured.capacities);
      }
      if (s3) {
        const result = await runArchiveDrain(options, plan, db, s3);
        drains.push({ variant: plan.variant.name, result });
        say(`  ${formatDrain(result, plan.variant.name)}`);
      }
    }
  } finally {
    await db.end().catch(() => undefined);
  }

  progress.clear();
  const showVariant = options.variants.length > 1;
  say('\nResults (req/s = 2xx responses or committed transactions per second; latency of every response; CPU in % of one core):\n');
  if (rows.some((row) => !row.pacing)) say(formatResultsTable(rows, showVariant));
  for (const line of formatSummary(rows, showVariant)) say(line);
  if (rows.some((row) => row.pacing)) {
    say(
      '\nFixed arrival rate (open loop, paced-load.ts): request i due at t0 + i/rate; latency from that due time; ' +
        '÷ base = rate asked ÷ the ceiling (POST) or the closed-loop row (GET); gen lag = how late the generator sent:\n',
    );
    say(formatOpenLoopTable(rows, showVariant));
  }
  for (const capacity of capacities) say(`${variantPrefix(capacity.variant, showVariant)}${formatCapacity(capacity)}`);
  const batchLines = formatBatchSummary(rows, showVariant);
  if (batchLines.length > 0) say(`\nBatch rows (closed loop, ${options.batchConnections} requests in flight):`);
  for (const line of batchLines) say(`  ${line}`);
  const cost = formatPostCost(rows, showVariant);
  if (cost) {
    say('\nPostgreSQL work per POST (CPU of all its processes during the row; WAL and write transactions until the archive settled):\n');
    say(cost);
  }
  if (rows.length > 0) {
    say('\nIssue 11 goals, this run (ratios within one run):\n');
    say(
      formatGoals(
        rows,
        capacities,
        options.variants.map((variant) => variant.name),
      ),
    );
  }
  if (drains.length > 0) say('');
  for (const drain of drains) say(formatDrain(drain.result, showVariant ? drain.variant : ''));
  say('\nDetails:');
  for (const line of formatRowDetails(rows)) say(line);

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
  return rows.some((row) => row.failure) || drainFailed ? 1 : 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  progress.clear();
  if (!interrupted) say(`\nbenchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  if (service && !interrupted) say(`service output:\n${service.tail()}`);
} finally {
  progress.update('cleaning up');
  await cleanUp();
  progress.clear();
}
process.exit(interrupted ? 130 : exitCode);
