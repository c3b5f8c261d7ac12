import { fileURLToPath } from 'node:url';
import type { CeilingJob } from './ceiling.js';
import { runJsonChild, type MeasuredResult } from './child-protocol.js';
import type { BenchRow } from './report.js';
import { childOptions, runRow, type VariantRun } from './row.js';
import { DEFAULT_POST_MIX } from './workload.js';

/**
 * The ceiling rows: the service's own POST transaction straight on `pg` (ceiling.ts, no HTTP) at the
 * service's whole pool, the yardstick of the POST rows.
 */

const CEILING_SCRIPT = fileURLToPath(new URL('./ceiling.js', import.meta.url));
/** PostgreSQL application_name of the ceiling's connections (set in ceiling.ts). */
const CEILING_APPLICATION_NAME = 'bench-ceiling';
const CEILING_SCENARIO = 'ceiling (pg, no HTTP)';

export function ceilingRow(run: VariantRun, scenario: string, archiveUpdate: boolean): Promise<BenchRow> {
  const { plan, options } = run;
  const total = plan.workers * plan.poolSize;
  const duration = options.durationSeconds;
  const job: CeilingJob = { serviceEnv: plan.env, concurrency: total, durationSeconds: duration, mix: DEFAULT_POST_MIX, archiveUpdate };
  return runRow(
    run,
    scenario,
    total,
    () => runJsonChild<MeasuredResult>(CEILING_SCRIPT, job, childOptions(scenario, duration)),
    CEILING_APPLICATION_NAME,
  );
}

/**
 * The ceiling brackets every POST row (C, P64, C, P256, C, …) and each row's ratio uses the mean of
 * the ceilings right before and after it: on a shared machine the neighbours' load drifts within
 * minutes, and a row is only comparable with the database's limit measured next to it.
 */
export class CeilingBrackets {
  /** The ceiling measured last (tx/s); undefined before the first, or when the last one failed. */
  last: number | undefined;

  constructor(
    private readonly run: VariantRun,
    /** Whether ceiling rows run between POST rows (--only has ceiling). */
    private readonly enabled: boolean,
  ) {}

  /** A ceiling row now (whether or not bracketing is on); its tx/s. */
  async measure(): Promise<number | undefined> {
    this.last = (await ceilingRow(this.run, CEILING_SCENARIO, false)).result?.perSecond;
    return this.last;
  }

  /** The first bracket, and the row that also prices the archive's post-upload UPDATE when asked for. */
  async open(): Promise<void> {
    if (!this.enabled) return;
    await this.measure();
    if (this.run.options.ceilingArchiveUpdate) await ceilingRow(this.run, 'ceiling + archive UPDATE (pg)', true);
  }

  /** After a POST row: the next bracket, and the row's ratio to the mean of the ceilings around it. */
  async close(entry: BenchRow): Promise<void> {
    const before = this.last;
    const after = this.enabled ? await this.measure() : undefined;
    this.last = after;
    const bracket = [before, after].filter((n): n is number => n !== undefined);
    if (entry.result && bracket.length > 0) {
      entry.ceiling = bracket.reduce((sum, n) => sum + n, 0) / bracket.length;
      entry.ratio = entry.result.perSecond / entry.ceiling;
    }
  }
}
