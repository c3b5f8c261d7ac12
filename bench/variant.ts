import { join } from 'node:path';
import type pg from 'pg';
import { loadConfig } from '../src/config/app-config.js';
import { batchRows } from './batch-rows.js';
import { CeilingBrackets } from './ceiling-rows.js';
import { getRows, GET_PAGE_SIZE } from './get-rows.js';
import { fairnessRow, type FairnessRow } from './fairness-rows.js';
import { feedRows, quoteRows } from './feed-rows.js';
import { floorRows, type FloorRow } from './floor-rows.js';
import { getOpenLoop, postOpenLoop } from './open-loop-rows.js';
import type { BenchOptions, ScenarioGroup, Variant } from './options.js';
import { PgActivitySampler } from './pg-activity.js';
import { settleArchive } from './pg-work.js';
import { postRows } from './post-rows.js';
import { findPostmaster, TreeSampler } from './proc-tree.js';
import type { BenchRow, Capacity } from './report.js';
import type { LoadScenario } from './requests.js';
import { loadRun, type VariantRun } from './row.js';
import type { Seeded } from './seed.js';
import { progress, say, session, startService, stopService } from './session.js';
import { DEFAULT_POST_MIX } from './workload.js';

/** A service variant as it will be started: its environment, and the pool size its own config parser derives from it. */
export interface VariantPlan {
  variant: Variant;
  env: Record<string, string>;
  workers: number;
  poolSize: number;
}

/** Row groups measured against a running service of the variant (the archive drain starts its own). */
export const SERVICE_ROW_GROUPS: readonly ScenarioGroup[] = ['ceiling', 'post', 'open', 'batch', 'get', 'floor', 'fair'];

export function planVariant(options: BenchOptions, variant: Variant, databaseUrl: string, dir: string): VariantPlan {
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

/** Starts the variant's service, warms it up, runs the row groups asked for in their order, and stops it. */
export async function runVariant(
  options: BenchOptions,
  plan: VariantPlan,
  seed: Seeded | undefined,
  db: pg.Client,
  profileDir: string | undefined,
): Promise<{ rows: BenchRow[]; capacities: Capacity[]; floor: FloorRow[]; fairness: FairnessRow[] }> {
  const name = plan.variant.name;
  const total = plan.workers * plan.poolSize;
  say(`\nservice${name ? ` [${name}]` : ''}: ${plan.workers} worker(s) × DB_POOL_SIZE=${plan.poolSize} = ${total} PostgreSQL connections`);
  if (Object.keys(plan.variant.env).length > 0) say(`  extra env: ${JSON.stringify(plan.variant.env)}`);
  progress.update('starting the service');
  const service = await startService(plan.env, {
    inherit: 'basics',
    mainScript: plan.variant.mainScript,
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    readyTimeoutMs: 60_000,
  });
  const postmaster = findPostmaster();
  const sampler = new TreeSampler(() => ({ service: session.service?.child.pid, postgres: postmaster }));
  const run: VariantRun = {
    options,
    plan,
    url: service.url,
    db,
    sampler,
    activity: new PgActivitySampler(db),
    rows: [],
    capacities: [],
  };
  let floor: FloorRow[] = [];
  const fairness: FairnessRow[] = [];
  try {
    // Warm-up (not reported): JIT, connection pools, caches.
    const warm = (scenario: LoadScenario, label: string) => loadRun(run.url, 32, options.warmupSeconds, scenario, label)().result;
    if (['post', 'ceiling', 'open', 'batch'].some((group) => options.only.has(group as ScenarioGroup)))
      await warm({ kind: 'post', mix: DEFAULT_POST_MIX }, 'warm-up POST');
    if (options.only.has('get') && seed) await warm({ kind: 'get-type', limit: GET_PAGE_SIZE }, 'warm-up GET');
    else if (options.only.has('fair')) await warm({ kind: 'get-own-store', storeIndex: 0, shape: seed?.result.shape }, 'warm-up GET');
    await settleArchive(db);

    const ceilings = new CeilingBrackets(run, options.only.has('ceiling'));
    await postRows(run, ceilings);
    if (options.only.has('open')) {
      // The yardstick is the ceiling measured just before (the last of the brackets, or one now).
      const ceiling = ceilings.last ?? (await ceilings.measure());
      if (ceiling !== undefined) await postOpenLoop(run, ceiling);
    }
    if (options.only.has('post')) await quoteRows(run);
    if (options.only.has('batch')) await batchRows(run);
    if (options.only.has('get') && seed) {
      await getRows(run, seed);
      await feedRows(run);
      if (options.only.has('open')) await getOpenLoop(run, seed);
    }
    if (options.only.has('floor') && seed) floor = await floorRows(run, seed);
    if (options.only.has('fair')) fairness.push(await fairnessRow(run, seed));
  } finally {
    sampler.stop();
    await stopService();
  }
  return { rows: run.rows, capacities: run.capacities, floor, fairness };
}
