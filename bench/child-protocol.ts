import { spawn } from 'node:child_process';
import type { LatencySummary } from './histogram.js';

/**
 * How the orchestrator talks to its measuring children (load.ts, ceiling.ts): the job goes in as one
 * JSON argument, progress comes back as `@progress {…}` lines on stderr, the result as JSON on stdout.
 */

/** What a load or ceiling child measured. Throughput counts successful requests (2xx) or committed transactions only. */
export interface MeasuredResult {
  seconds: number;
  /** 2xx responses / committed transactions. */
  ok: number;
  perSecond: number;
  latency: LatencySummary;
  statusCounts: Record<string, number>;
  non2xx: number;
  /** Connection errors and timeouts (HTTP), failed transactions (ceiling). */
  errors: number;
  timeouts: number;
  /** CPU used by the generating process itself, in % of one core. */
  generatorCpuPercent: number;
  newItems?: number;
  resends?: number;
  firstErrors: string[];
  /** Fixed-arrival-rate rows (paced-load.ts): the schedule and how well the generator kept it. */
  openLoop?: OpenLoopStats;
  /** Batch rows: per-item results read from the answers (`results[].status`). */
  items?: { ok: number; statusCounts: Record<string, number> };
}

export interface OpenLoopStats {
  /** Requests per second asked for; request i is due at t0 + i / targetRate. */
  targetRate: number;
  /** Requests due in the row (rate × seconds, bounded by the per-row maximum). */
  scheduled: number;
  sent: number;
  /** Sent requests ÷ seconds from t0 to the last send (plus one interval). */
  sendRate: number;
  /** How late the generator dispatched requests against their schedule (its own timer and event-loop lag), ms. */
  lag: LatencySummary;
  /** Latency counted from the actual send instead of the schedule (diagnosis only: it leaves out the generator's lag). */
  fromSend: LatencySummary;
  /** Most requests outstanding at once. */
  maxInFlight: number;
  /** Requests dispatched while every connection of the generator was busy: they waited in the generator (still timed from their schedule). */
  queuedForConnection: number;
  /** Requests still unanswered when the row's bound ran out (aborted; counted as timeouts). */
  abandoned: number;
}

export interface Progress {
  elapsedSeconds: number;
  ok: number;
  failed: number;
}

const PROGRESS_PREFIX = '@progress ';

// ---- child side ----

export function readJob<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error(`usage: node ${process.argv[1]} '<job as JSON>' (started by run-bench)`);
  return JSON.parse(raw) as T;
}

export function reportProgress(progress: Progress): void {
  process.stderr.write(`${PROGRESS_PREFIX}${JSON.stringify(progress)}\n`);
}

export function reportResult(result: MeasuredResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** CPU time of this process since `since`, in % of one core over `wallMs`. */
export function cpuPercent(since: NodeJS.CpuUsage, wallMs: number): number {
  const used = process.cpuUsage(since);
  return wallMs > 0 ? ((used.user + used.system) / 1000 / wallMs) * 100 : 0;
}

// ---- parent side ----

export interface ChildRun<T> {
  pid: number;
  result: Promise<T>;
  kill(): void;
}

/** Runs a compiled bench script with the job; rejects on a non-zero exit, bad output or when `timeoutMs` passes. */
export function runJsonChild<T>(
  script: string,
  job: unknown,
  options: { timeoutMs: number; onProgress?: (progress: Progress) => void; onLog?: (line: string) => void },
): ChildRun<T> {
  const child = spawn(process.execPath, [script, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderrTail: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(PROGRESS_PREFIX)) {
        options.onProgress?.(JSON.parse(line.slice(PROGRESS_PREFIX.length)) as Progress);
      } else if (line.trim() !== '') {
        stderrTail = [...stderrTail.slice(-19), line];
        options.onLog?.(line);
      }
    }
  });
  const result = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish within ${Math.round(options.timeoutMs / 1000)} s`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code ?? signal}:\n${stderrTail.join('\n')}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`${script} printed no JSON result:\n${stdout.slice(-2000)}`));
      }
    });
  });
  return {
    pid: child.pid ?? -1,
    result,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Every measured row stops after this many requests even if its time is not up (load and soak runs are
 * bounded in count as well as time). At the rates this machine reaches a 15 s row sends a few tens of
 * thousands, so the bound only bites on a far faster machine.
 */
export const MAX_REQUESTS_PER_ROW = 250_000;
