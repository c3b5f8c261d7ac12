import { formatDrain, type ArchiveDrainResult } from './archive-drain.js';
import { FLOOD_CONNECTIONS, formatFairnessGoals, formatFairnessTable, OTHER_RATE, type FairnessRow } from './fairness-rows.js';
import { formatFloorSummary, formatFloorTable, type FloorRow } from './floor-rows.js';
import type { BenchOptions } from './options.js';
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
import { say } from './session.js';

const variantPrefix = (variant: string, show: boolean) => (show ? `[${variant}] ` : '');

/** The run's tables and summaries, in the order a reader needs them; the details of every row last. */
export function printResults(
  options: BenchOptions,
  rows: BenchRow[],
  capacities: Capacity[],
  floor: FloorRow[],
  fairness: FairnessRow[],
  drains: { variant: string; result: ArchiveDrainResult }[],
): void {
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
  if (floor.length > 0) {
    say(
      '\nCPU per request against the floor (bench/floor: a bare Nest + pg app with the same SQL and writes; CPU time of each ' +
        'process tree over a fixed number of requests at a fixed open-loop rate, service and floor rows interleaved):\n',
    );
    say(formatFloorTable(floor, showVariant));
    for (const line of formatFloorSummary(
      floor,
      options.variants.map((variant) => variant.name),
      showVariant,
    ))
      say(line);
  }
  if (fairness.length > 0) {
    say(
      `\nFair capacity (issue 19): one store key floods GETs (${FLOOD_CONNECTIONS} connections, closed loop) while another sends ` +
        `${OTHER_RATE} GETs/s (open loop, latency from each request's due time); both store keys with the service's default budget:\n`,
    );
    say(formatFairnessTable(fairness, showVariant));
    for (const line of formatFairnessGoals(fairness, showVariant)) say(line);
  }
  if (drains.length > 0) say('');
  for (const drain of drains) say(formatDrain(drain.result, showVariant ? drain.variant : ''));
  say('\nDetails:');
  for (const line of formatRowDetails(rows)) say(line);
}
