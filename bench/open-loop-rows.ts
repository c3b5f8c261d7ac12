import type { LoadScenario } from './requests.js';
import { formatCapacity, type BenchRow, type Capacity } from './report.js';
import { pacedRun, runRow, SERVICE_APPLICATION_NAME, type VariantRun } from './row.js';
import { say, session } from './session.js';
import { SloBisection, sloVerdict } from './slo.js';
import { GET_STORE_SKU_SCENARIO } from './get-rows.js';
import type { Seeded } from './seed.js';
import { DEFAULT_POST_MIX } from './workload.js';

/** Latency objectives of issue 11, for the capacity searches: p99 from each request's scheduled time. */
const POST_SLO_P99_MS = 50;
const GET_SLO_P99_MS = 10;
/** The capacity search brackets, as shares of the base rate (POST: the ceiling; GET: its closed-loop row). */
const SEARCH_LOW = 0.1;
const SEARCH_HIGH = 1.2;
/** A search stops early once the bracket is this narrow (shares of the base). */
const SEARCH_RESOLUTION = 0.02;

type Base = { label: string; perSecond: number };

const percent = (share: number) => `${Math.round(share * 100)} %`;

/** One fixed-arrival-rate row at `share` × the base rate, judged against the p99 objective. */
async function openRow(
  run: VariantRun,
  scenario: string,
  share: number,
  base: Base,
  seconds: number,
  load: LoadScenario,
  p99Ms: number,
  pacing: 'open' | 'search',
): Promise<BenchRow> {
  const entry = await runRow(
    run,
    scenario,
    0,
    pacedRun(run.url, { rate: share * base.perSecond }, seconds, load, scenario),
    SERVICE_APPLICATION_NAME,
    { pacing, share, base },
  );
  if (entry.result) entry.slo = { p99Ms, ...sloVerdict(entry.result, p99Ms) };
  return entry;
}

/**
 * Fixed-rate rows at each share of the base, then a short bisection for the highest rate that meets
 * the p99 objective (the fixed rows narrow the bracket first).
 */
async function openLoopSeries(run: VariantRun, what: string, base: Base, shares: number[], load: LoadScenario, p99Ms: number) {
  const { options } = run;
  const bisection = new SloBisection(SEARCH_LOW, SEARCH_HIGH);
  for (const share of shares) {
    const entry = await openRow(
      run,
      `${what} at ${percent(share)} of ${base.label}`,
      share,
      base,
      options.openSeconds,
      load,
      p99Ms,
      'open',
    );
    if (entry.slo) bisection.note(share, entry.slo.pass);
  }
  let steps = 0;
  while (steps < options.searchSteps && !session.interrupted) {
    const { passed, failed } = bisection.result;
    if ((failed ?? SEARCH_HIGH) - (passed ?? SEARCH_LOW) < SEARCH_RESOLUTION) break;
    const share = bisection.next();
    steps++;
    const entry = await openRow(run, `${what} SLO search, ${percent(share)}`, share, base, options.searchSeconds, load, p99Ms, 'search');
    if (!entry.slo) break;
    bisection.note(share, entry.slo.pass);
  }
  const generatorLateRows = run.rows.filter((entry) => entry.base === base && entry.slo?.generatorLate).length;
  const capacity: Capacity = { variant: run.plan.variant.name, what, p99Ms, base, ...bisection.result, steps, generatorLateRows };
  run.capacities.push(capacity);
  say(`  ${formatCapacity(capacity)}`);
}

/** POST at shares of the ceiling measured just before (tx/s), and its capacity at p99 < 50 ms. */
export async function postOpenLoop(run: VariantRun, ceiling: number): Promise<void> {
  await openLoopSeries(
    run,
    'POST',
    { label: 'ceiling', perSecond: ceiling },
    run.options.openRates.map((n) => n / 100),
    { kind: 'post', mix: DEFAULT_POST_MIX },
    POST_SLO_P99_MS,
  );
}

/** GET store+sku at shares of its closed-loop row with the most connections (its throughput), and its capacity at p99 < 10 ms. */
export async function getOpenLoop(run: VariantRun, seed: Seeded): Promise<void> {
  const closed = run.rows
    .filter((entry) => entry.scenario === GET_STORE_SKU_SCENARIO && entry.result)
    .sort((a, b) => b.connections - a.connections)[0];
  if (!closed) return;
  await openLoopSeries(
    run,
    'GET store+sku',
    { label: `closed loop @${closed.connections}`, perSecond: closed.result!.perSecond },
    run.options.getOpenRates.map((n) => n / 100),
    { kind: 'get-store-sku', shape: seed.result.shape },
    GET_SLO_P99_MS,
  );
}
