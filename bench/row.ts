import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { defaultKey } from '../harness/http-client.js';
import { MAX_REQUESTS_PER_ROW, runJsonChild, type ChildRun, type MeasuredResult } from './child-protocol.js';
import type { LoadJob } from './load.js';
import type { BenchOptions } from './options.js';
import type { PacedJob } from './paced-load.js';
import type { PgActivitySampler, ActivitySummary } from './pg-activity.js';
import { dbCounters, settleArchive, writeGroupCounters } from './pg-work.js';
import type { TreeSampler } from './proc-tree.js';
import type { BenchRow, Capacity } from './report.js';
import type { LoadScenario } from './requests.js';
import { progress, say, session } from './session.js';
import type { VariantPlan } from './variant.js';
import { withTimeout } from './with-timeout.js';
import { errorText } from '../src/common/error-text.js';

/**
 * One measured row: its load child (autocannon or our paced generator) run while the machine is
 * watched, and what it measured recorded as a BenchRow of the variant.
 */

const LOAD_SCRIPT = fileURLToPath(new URL('./load.js', import.meta.url));
const PACED_SCRIPT = fileURLToPath(new URL('./paced-load.js', import.meta.url));

export const HTTP_TIMEOUT_SECONDS = 10;
/** Connections the open-loop generator may open: as many as the largest closed-loop row; beyond that requests wait in the generator (counted). */
const OPEN_LOOP_CONNECTIONS = 1024;
/** PostgreSQL application_name of the service's connections (src/database/mikro-orm.config.ts). */
export const SERVICE_APPLICATION_NAME = 'warranty-service';

/** A running service variant and what its rows have measured so far. */
export interface VariantRun {
  options: BenchOptions;
  plan: VariantPlan;
  url: string;
  db: pg.Client;
  sampler: TreeSampler;
  activity: PgActivitySampler;
  rows: BenchRow[];
  capacities: Capacity[];
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
  // And a checkpoint: every row starts just after one, so none pays for one that happens to fall inside
  // it (a checkpoint mid-row made its writes log whole pages: 12-27 kB of WAL per POST instead of ~5.5,
  // and one build's row 30 % slower than its neighbours; docs/performance.md).
  await db.query('CHECKPOINT');
  const before = await dbCounters(db);
  watch.sampler.beginWindow();
  watch.activity.start(watch.applicationName);
  const run = start();
  session.activeChild = run;
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
    throw new Error(`${label}: ${errorText(error)}`, { cause: error });
  } finally {
    session.activeChild = undefined;
  }
}

/** Measures one row and adds it to the variant's rows; a failed row is recorded (and the service's state told), not thrown. */
export async function runRow(
  run: VariantRun,
  scenario: string,
  connections: number,
  start: () => ChildRun<MeasuredResult>,
  applicationName = SERVICE_APPLICATION_NAME,
  extra: Partial<BenchRow> = {},
): Promise<BenchRow> {
  const { url, db } = run;
  const entry: BenchRow = { variant: run.plan.variant.name, scenario, connections, ...extra };
  const load = entry.pacing ? `at ${(entry.share! * entry.base!.perSecond).toFixed(0)}/s` : `@${connections}`;
  try {
    // Group commits of single POSTs, from the service's own metrics (absent in builds without them).
    const groupsBefore = scenario.startsWith('POST') ? await writeGroupCounters(url) : undefined;
    const measured = await measure(scenario, { sampler: run.sampler, activity: run.activity, applicationName }, db, start);
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
    if (session.interrupted) throw error;
    entry.failure = error instanceof Error ? error.message.split('\n')[0] : String(error);
    say(`  ${scenario} ${load}: FAILED ${errorText(error)}`);
    const live = await withTimeout(
      fetch(`${url}/health/live`).then((r) => r.ok),
      3000,
      'liveness',
    ).catch(() => false);
    if (session.service && live !== true) say(`  the service is not answering; its last output:\n${session.service.tail()}`);
  }
  run.rows.push(entry);
  return entry;
}

/** How a row's child reports: progress on the progress line, its log lines labelled, a time bound of the row plus grace. */
export function childOptions(label: string, durationSeconds: number, graceSeconds = 60) {
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

/** A closed-loop row from autocannon (load.ts) at `connections`. */
export function loadRun(url: string, connections: number, durationSeconds: number, scenario: LoadScenario, label: string) {
  const job: LoadJob = { url, apiKey: defaultKey(url), connections, durationSeconds, timeoutSeconds: HTTP_TIMEOUT_SECONDS, scenario };
  return () => runJsonChild<MeasuredResult>(LOAD_SCRIPT, job, childOptions(label, durationSeconds));
}

/** A row from our own generator (paced-load.ts): open loop at `pace.rate`, or closed loop at `pace.concurrency`; the service's admin key unless `apiKey`. */
export function pacedRun(
  url: string,
  pace: PacedJob['pace'],
  seconds: number,
  scenario: LoadScenario,
  label: string,
  limits: { timeoutSeconds?: number; maxRequests?: number; maxConnections?: number; apiKey?: string } = {},
) {
  const timeoutSeconds = limits.timeoutSeconds ?? HTTP_TIMEOUT_SECONDS;
  const job: PacedJob = {
    url,
    apiKey: limits.apiKey ?? defaultKey(url),
    pace,
    durationSeconds: seconds,
    maxRequests: limits.maxRequests ?? MAX_REQUESTS_PER_ROW,
    maxConnections: limits.maxConnections ?? OPEN_LOOP_CONNECTIONS,
    timeoutSeconds,
    scenario,
  };
  return () => runJsonChild<MeasuredResult>(PACED_SCRIPT, job, childOptions(label, seconds, 2 * timeoutSeconds + 60));
}
