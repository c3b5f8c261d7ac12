import type { MeasuredResult } from './child-protocol.js';

/** A row meets its latency objective only if (almost) every request was sent on time and answered 2xx. */
export const SLO_MAX_FAILED_SHARE = 0.001;

export interface SloVerdict {
  pass: boolean;
  /** Why not, or the p99 that passed. */
  why: string;
  /** The generator's own lag (p99) was at least half the objective: the row says more about the machine than the service. */
  generatorLate: boolean;
}

/** p99 (counted from each request's scheduled time) under `p99Ms`, at most 0.1 % non-2xx/errors/timeouts, every request sent. */
export function sloVerdict(result: MeasuredResult, p99Ms: number): SloVerdict {
  const open = result.openLoop;
  const generatorLate = open !== undefined && open.lag.p99 >= p99Ms / 2;
  const late = generatorLate ? ` (generator lag p99 ${open.lag.p99.toFixed(1)} ms)` : '';
  const sent = open?.sent ?? result.latency.count + result.errors + result.timeouts;
  const failed = result.non2xx + result.errors + result.timeouts;
  if (open && open.sent < open.scheduled)
    return { pass: false, why: `the generator sent only ${open.sent} of ${open.scheduled}${late}`, generatorLate };
  if (failed > SLO_MAX_FAILED_SHARE * Math.max(1, sent)) return { pass: false, why: `${failed} of ${sent} failed${late}`, generatorLate };
  if (result.latency.p99 >= p99Ms) return { pass: false, why: `p99 ${result.latency.p99.toFixed(1)} ≥ ${p99Ms} ms${late}`, generatorLate };
  return { pass: true, why: `p99 ${result.latency.p99.toFixed(1)} < ${p99Ms} ms${late}`, generatorLate };
}

/**
 * Bisection for the highest rate (as a share of a base rate) that meets the objective, between `low`
 * and `high`. Rows already measured at fixed shares narrow the bracket first (the lowest failing share
 * is the upper bound, the highest passing share below it the lower bound), so the steps go where the
 * answer is. The result is only what was measured: the highest passing share (none if nothing passed)
 * and the lowest failing one above it (none if nothing failed).
 */
export class SloBisection {
  private readonly seen: { share: number; pass: boolean }[] = [];

  constructor(
    private readonly low = 0.1,
    private readonly high = 1.2,
  ) {}

  note(share: number, pass: boolean): void {
    this.seen.push({ share, pass });
  }

  /** The next share to measure: the middle of the bracket. */
  next(): number {
    const { passed, failed } = this.result;
    return ((passed ?? this.low) + (failed ?? this.high)) / 2;
  }

  /** Lowest failing share; highest passing share below it (a pass above a failure is noise, not capacity). */
  get result(): { passed?: number; failed?: number } {
    const failures = this.seen.filter((s) => !s.pass).map((s) => s.share);
    const failed = failures.length > 0 ? Math.min(...failures) : undefined;
    const passes = this.seen.filter((s) => s.pass && (failed === undefined || s.share < failed)).map((s) => s.share);
    return { passed: passes.length > 0 ? Math.max(...passes) : undefined, failed };
  }
}
