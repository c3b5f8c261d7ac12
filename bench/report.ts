import type { MeasuredResult } from './child-protocol.js';
import { formatActivity, type ActivitySummary } from './pg-activity.js';
import type { WindowStats } from './proc-tree.js';

export type Align = 'l' | 'r';

/** A Markdown table with padded columns: readable in a terminal, pasteable into docs/performance.md. */
export function markdownTable(headers: string[], rows: string[][], align: Align[] = []): string {
  const cells = [headers, ...rows].map((row) => row.map((cell) => cell.replaceAll('|', '\\|')));
  const widths = headers.map((_, column) => Math.max(3, ...cells.map((row) => (row[column] ?? '').length)));
  const pad = (text: string, column: number) => (align[column] === 'r' ? text.padStart(widths[column]) : text.padEnd(widths[column]));
  const line = (row: string[]) => `| ${row.map((cell, column) => pad(cell ?? '', column)).join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (align[column] === 'r' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

export interface BenchRow {
  variant: string;
  scenario: string;
  connections: number;
  result?: MeasuredResult;
  window?: WindowStats;
  /** POST rows: the ceiling's tx/s measured around the row (mean of the ceiling rows before and after it). */
  ceiling?: number;
  /** POST rows: req/s ÷ `ceiling`. */
  ratio?: number;
  /** Archive records still pending right after the row (POST rows). */
  archiveBacklog?: number;
  /** What the client's PostgreSQL connections were doing during the row. */
  activity?: ActivitySummary;
  /**
   * PostgreSQL work per unit the server completed (a POST = an archive record written; a GET = a 2xx; a batch
   * row = an item answered 200/201): write transactions (xids taken) and WAL until the archive settled,
   * PostgreSQL CPU time during the row.
   */
  db?: { writeTxPerRequest: number; walKbPerRequest: number; pgCpuMsPerRequest?: number };
  /** How the load was paced: closed loop (fixed connections, autocannon) unless 'open' (fixed arrival rate) or 'search' (an SLO search step, open loop). */
  pacing?: 'open' | 'search';
  /** Open-loop rows: the rate asked for, as a share of `base` (the ceiling for POST, the closed-loop row for GET). */
  share?: number;
  base?: { label: string; perSecond: number };
  /** Open-loop rows: the latency objective they were judged against. */
  slo?: { p99Ms: number; pass: boolean; why: string; generatorLate: boolean };
  /** Single-POST rows: the service's group commits during the row (from its /metrics), and POSTs saved per group on average. */
  writeGroups?: { groups: number; meanSize: number };
  /** Batch rows: items per request. */
  batchSize?: number;
  /** Not run, and why (e.g. the batch endpoint does not exist yet): shown, and not a failure of the run. */
  unavailable?: string;
  failure?: string;
}

/** Capacity at an SLO: the highest fixed arrival rate whose p99 stayed under the objective, found by bisection. */
export interface Capacity {
  variant: string;
  what: string;
  p99Ms: number;
  base: { label: string; perSecond: number };
  /** Highest share of `base` measured within the objective (none: even the lowest rate tried missed it). */
  passed?: number;
  /** Lowest share measured outside it (none: every rate tried met it). */
  failed?: number;
  steps: number;
  /** Rows of the series in which the generator's own lag p99 was at least half the objective. */
  generatorLateRows: number;
}

const isOpen = (row: BenchRow) => row.pacing !== undefined;

const fixed = (value: number, digits = 1) => value.toFixed(digits);

/** Service / PostgreSQL / load generator / everything else on the machine (other benchmark helpers, this script). */
function cpuCell(w: WindowStats, r: MeasuredResult): string {
  return [w.cpuPercent.service, w.cpuPercent.postgres, r.generatorCpuPercent, otherCpu(w, r)].map((n) => fixed(n, 0)).join('/');
}

function otherCpu(w: WindowStats, r: MeasuredResult): number {
  return Math.max(0, w.cpuPercent.machine - w.cpuPercent.service - w.cpuPercent.postgres - r.generatorCpuPercent);
}

export function formatResultsTable(rows: BenchRow[], showVariant: boolean): string {
  const headers = [
    ...(showVariant ? ['variant'] : []),
    'scenario',
    'conns',
    'req/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'non-2xx',
    'errors/timeouts',
    'peak RSS MB',
    '÷ ceiling',
    'CPU % svc/pg/gen/other',
  ];
  const body = rows
    .filter((row) => !isOpen(row))
    .map((row) => {
      const r = row.result;
      const w = row.window;
      const cells = row.unavailable
        ? [`not available (${row.unavailable})`, '', '', '', '', '', '', '', '']
        : r
          ? [
              fixed(r.perSecond, 0),
              fixed(r.latency.p50),
              fixed(r.latency.p95),
              fixed(r.latency.p99),
              String(r.non2xx),
              `${r.errors}/${r.timeouts}`,
              w && w.servicePeakRssMb > 0 ? fixed(w.servicePeakRssMb, 0) : '–',
              row.ratio !== undefined ? fixed(row.ratio, 2) : '',
              w ? cpuCell(w, r) : '',
            ]
          : [`FAILED: ${row.failure ?? 'unknown'}`, '', '', '', '', '', '', '', ''];
      return [...(showVariant ? [row.variant] : []), row.scenario, String(row.connections), ...cells];
    });
  const align: Align[] = [...(showVariant ? ['l' as const] : []), 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
  return markdownTable(headers, body, align);
}

/** The ratios to the ceiling, the deep-cursor comparison, and a warning when the machine was busy with other work. */
export function formatSummary(rows: BenchRow[], showVariant: boolean): string[] {
  const lines: string[] = [];
  const ratios = rows.filter((row) => row.ratio !== undefined);
  if (ratios.length > 0) {
    lines.push('', 'POST req/s ÷ ceiling tx/s (ceiling = mean of the ceiling rows just before and after the POST row):');
    for (const row of ratios) {
      const variant = showVariant ? `[${row.variant}] ` : '';
      lines.push(
        `  ${variant}${row.connections} conns: ${fixed(row.ratio!, 2)} (${fixed(row.result!.perSecond, 0)} ÷ ${fixed(row.ceiling!, 0)})`,
      );
    }
  }
  for (const deepRow of rows.filter((row) => row.scenario.includes('deep') && row.result)) {
    const same = (row: BenchRow) => row.variant === deepRow.variant && row.connections === deepRow.connections;
    const first = rows.find((row) => same(row) && row.scenario.startsWith('GET item_type, limit'))?.result;
    const deep = deepRow.result!;
    if (!first) continue;
    const variant = showVariant ? `[${deepRow.variant}] ` : '';
    lines.push(
      `${variant}deep cursor page vs first page of the same query @${deepRow.connections}: p50 ${fixed(deep.latency.p50)} vs ` +
        `${fixed(first.latency.p50)} ms, p99 ${fixed(deep.latency.p99)} vs ${fixed(first.latency.p99)} ms, ` +
        `req/s ${fixed(deep.perSecond, 0)} vs ${fixed(first.perSecond, 0)}`,
    );
  }
  const others = rows.flatMap((row) => (row.window && row.result ? [otherCpu(row.window, row.result)] : []));
  const meanOther = others.reduce((sum, n) => sum + n, 0) / Math.max(1, others.length);
  if (meanOther > 25) {
    lines.push(
      `note: processes outside the benchmark used ${fixed(meanOther, 0)} % of one core on average during the rows ` +
        `(column "other"): absolute figures are depressed and noisy; compare ratios, or rerun on a quieter machine.`,
    );
  }
  return lines;
}

/** What a row's DB figures are counted per. */
function unitOf(row: BenchRow): string {
  if (row.batchSize !== undefined) return 'item';
  if (row.scenario.startsWith('ceiling')) return 'transaction';
  if (row.scenario.startsWith('POST')) return 'POST';
  return 'request';
}

/** Status mix and other per-row details that do not fit the table. */
export function formatRowDetails(rows: BenchRow[]): string[] {
  return rows
    .filter((row) => row.result)
    .map((row) => {
      const r = row.result!;
      const statuses = Object.entries(r.statusCounts)
        .map(([status, count]) => `${status}×${count}`)
        .join(' ');
      const load = row.pacing ? `${rate(r.openLoop?.targetRate ?? 0)}/s` : `@${row.connections}`;
      const parts = [`${row.variant ? `[${row.variant}] ` : ''}${row.scenario} ${load}: ${r.ok} ok in ${fixed(r.seconds)} s`];
      if (statuses) parts.push(`statuses ${statuses}`);
      if (r.openLoop) {
        const o = r.openLoop;
        parts.push(
          `open loop: ${o.sent} of ${o.scheduled} sent at ${rate(o.sendRate)}/s (asked ${rate(o.targetRate)}/s, ${fixed(row.share ?? 0, 2)} × ${row.base?.label ?? 'base'}), ` +
            `generator lag p50/p99/max ${fixed(o.lag.p50)}/${fixed(o.lag.p99)}/${fixed(o.lag.max)} ms, ` +
            `latency from the actual send (diagnosis) p50/p99 ${fixed(o.fromSend.p50)}/${fixed(o.fromSend.p99)} ms, max in flight ${o.maxInFlight}, ` +
            `waited for a connection ${o.queuedForConnection}, abandoned ${o.abandoned}`,
        );
      }
      if (row.slo) parts.push(`SLO p99 < ${row.slo.p99Ms} ms ${row.slo.pass ? 'met' : 'missed'}: ${row.slo.why}`);
      if (r.items) parts.push(`items answered 200/201 ${r.items.ok}`);
      if (r.newItems !== undefined) parts.push(`new items ${r.newItems}, re-sends ${r.resends}`);
      if (row.window) {
        const cpu = row.window.cpuPercent;
        parts.push(
          `CPU in kernel: service ${fixed(cpu.serviceSys, 0)} of ${fixed(cpu.service, 0)} %, PostgreSQL ${fixed(cpu.postgresSys, 0)} of ${fixed(cpu.postgres, 0)} %`,
        );
      }
      if (row.db) {
        const cpu = row.db.pgCpuMsPerRequest !== undefined ? `${fixed(row.db.pgCpuMsPerRequest, 2)} ms PostgreSQL CPU, ` : '';
        parts.push(
          `DB per ${unitOf(row)}: ${cpu}${fixed(row.db.walKbPerRequest, 1)} kB WAL, ${fixed(row.db.writeTxPerRequest, 2)} write transactions`,
        );
      }
      if (row.writeGroups)
        parts.push(`group commits ${row.writeGroups.groups}, ${fixed(row.writeGroups.meanSize, 1)} POSTs per group on average`);
      if (row.activity && row.activity.samples > 0) parts.push(`PostgreSQL ${formatActivity(row.activity)}`);
      if (row.archiveBacklog !== undefined) parts.push(`archive backlog after row ${row.archiveBacklog}`);
      if (r.firstErrors.length > 0) parts.push(`first errors: ${r.firstErrors.join(' / ')}`);
      return `- ${parts.join('; ')}`;
    });
}

const variantPrefix = (row: { variant: string }, showVariant: boolean) => (showVariant ? `[${row.variant}] ` : '');
const rate = (n: number) => (n >= 100 ? fixed(n, 0) : fixed(n, 1));

/** Fixed-arrival-rate rows and SLO search steps: what was asked, what was sent, what came back, and how late the generator was. */
export function formatOpenLoopTable(rows: BenchRow[], showVariant: boolean): string {
  const headers = [
    ...(showVariant ? ['variant'] : []),
    'scenario',
    'target/s',
    '÷ base',
    'sent/s',
    '2xx/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'non-2xx',
    'errors/timeouts',
    'gen lag p99/max ms',
    'max in flight',
    'SLO p99',
    'CPU % svc/pg/gen/other',
  ];
  const body = rows.filter(isOpen).map((row) => {
    const r = row.result;
    const o = r?.openLoop;
    const cells =
      r && o
        ? [
            rate(o.targetRate),
            fixed(row.share ?? 0, 2),
            rate(o.sendRate),
            rate(r.perSecond),
            fixed(r.latency.p50),
            fixed(r.latency.p99),
            fixed(r.latency.max),
            String(r.non2xx),
            `${r.errors}/${r.timeouts}`,
            `${fixed(o.lag.p99)}/${fixed(o.lag.max)}`,
            String(o.maxInFlight),
            row.slo ? `${row.slo.pass ? 'met' : 'missed'}${row.slo.generatorLate ? ' (gen late)' : ''}` : '',
            row.window ? cpuCell(row.window, r) : '',
          ]
        : [`FAILED: ${row.failure ?? 'unknown'}`, ...Array.from({ length: 12 }, () => '')];
    return [...(showVariant ? [row.variant] : []), row.scenario, ...cells];
  });
  const align: Align[] = [...(showVariant ? ['l' as const] : []), 'l', ...Array.from({ length: 13 }, () => 'r' as const)];
  return markdownTable(headers, body, align);
}

/** "412/s = 0.52 × ceiling": the highest rate measured within the objective, and the lowest measured outside it. */
export function formatCapacity(c: Capacity): string {
  const at = (share: number) => `${fixed(share * c.base.perSecond, 0)}/s = ${fixed(share, 2)} × ${c.base.label}`;
  const head = `${c.what} capacity at p99 < ${c.p99Ms} ms (${c.base.label} ${fixed(c.base.perSecond, 0)}/s; search steps: ${c.steps}):`;
  const late =
    c.generatorLateRows > 0
      ? ` — in ${c.generatorLateRows} of its rows the generator itself was late by ≥ ${c.p99Ms / 2} ms at p99 (busy machine): that bounds what can be measured here`
      : '';
  if (c.passed === undefined) return `${head} below ${at(c.failed ?? 0)}: no rate tried met it${late}`;
  return `${head} ${at(c.passed)}${c.failed === undefined ? ' (every rate tried met it)' : `; ${at(c.failed)} missed it`}${late}`;
}

/** The single-POST closed-loop row with the most 2xx/s in the variant: what a batch row is compared with. */
function bestSinglePost(rows: BenchRow[], variant: string): BenchRow | undefined {
  return rows
    .filter((row) => row.variant === variant && row.scenario === 'POST mix' && row.result)
    .sort((a, b) => b.result!.perSecond - a.result!.perSecond)[0];
}

/** Items answered 200/201 per second by a batch row. */
export function batchItemsPerSecond(row: BenchRow): number | undefined {
  const r = row.result;
  return r?.items ? r.items.ok / r.seconds : undefined;
}

export function formatBatchSummary(rows: BenchRow[], showVariant: boolean): string[] {
  const lines: string[] = [];
  for (const row of rows.filter((candidate) => candidate.batchSize !== undefined)) {
    const name = `${variantPrefix(row, showVariant)}batch of ${row.batchSize} @${row.connections}`;
    if (row.unavailable) {
      lines.push(`${name}: not available (${row.unavailable})`);
      continue;
    }
    const items = batchItemsPerSecond(row);
    if (!row.result || items === undefined) continue;
    const single = bestSinglePost(rows, row.variant);
    const ratio = single
      ? ` ÷ single POST ${fixed(single.result!.perSecond, 0)} req/s (POST mix @${single.connections}) = ${fixed(items / single.result!.perSecond, 2)}`
      : '';
    lines.push(
      `${name}: ${rate(row.result.perSecond)} batches/s → ${fixed(items, 0)} items/s answered 200/201${ratio}; item statuses ` +
        Object.entries(row.result.items!.statusCounts)
          .map(([status, count]) => `${status}×${count}`)
          .join(' '),
    );
  }
  return lines;
}

/** PostgreSQL's work per POST (per item for batch rows, per transaction for the ceiling): the cost the coalescing work must lower. */
export function formatPostCost(rows: BenchRow[], showVariant: boolean): string | undefined {
  const writes = rows.filter(
    (row) =>
      row.db &&
      row.result &&
      (row.scenario.startsWith('POST') || row.scenario.startsWith('ceiling')) &&
      row.pacing !== 'search' &&
      !row.scenario.includes('identical'),
  );
  if (writes.length === 0) return undefined;
  const body = writes.map((row) => [
    ...(showVariant ? [row.variant] : []),
    row.scenario,
    row.pacing === 'open' ? `${rate(row.result!.openLoop?.targetRate ?? 0)}/s` : `@${row.connections}`,
    unitOf(row),
    row.db!.pgCpuMsPerRequest !== undefined ? fixed(row.db!.pgCpuMsPerRequest, 2) : '',
    fixed(row.db!.walKbPerRequest, 1),
    fixed(row.db!.writeTxPerRequest, 2),
    row.writeGroups ? fixed(row.writeGroups.meanSize, 1) : '',
  ]);
  return markdownTable(
    [
      ...(showVariant ? ['variant'] : []),
      'scenario',
      'load',
      'per',
      'PostgreSQL CPU ms',
      'WAL kB',
      'write transactions',
      'POSTs per group',
    ],
    body,
    [...(showVariant ? ['l' as const] : []), 'l', 'r', 'l', 'r', 'r', 'r', 'r'],
  );
}

/** Issue 11's goals, with what this run measured next to each (one column per variant). */
export function formatGoals(rows: BenchRow[], capacities: Capacity[], variants: string[]): string {
  const ratioAt = (variant: string, connections: number) => {
    const row = rows.find((r) => r.variant === variant && r.scenario === 'POST mix' && r.connections === connections);
    if (row?.ratio === undefined) return { text: `not measured (no @${connections} row)` };
    return { text: fixed(row.ratio, 2), met: row.ratio >= 1 };
  };
  const capacity = (variant: string) => {
    const c = capacities.find((entry) => entry.variant === variant && entry.what === 'POST');
    if (!c) return { text: 'not measured (no open-loop rows)' };
    if (c.passed === undefined) return { text: `< ${fixed(c.failed ?? 0, 2)}`, met: false };
    return { text: `${fixed(c.passed, 2)}${c.failed === undefined ? ' or more' : ''}`, met: c.passed >= 0.8 };
  };
  const batch = (variant: string) => {
    const row = rows.find((r) => r.variant === variant && r.batchSize === 500);
    if (!row) return { text: 'not measured (no batch 500 row)' };
    if (row.unavailable) return { text: `not available (${row.unavailable})` };
    const items = batchItemsPerSecond(row);
    const single = bestSinglePost(rows, variant);
    if (items === undefined || !single) return { text: 'not measured (no single POST row)' };
    const ratio = items / single.result!.perSecond;
    return { text: fixed(ratio, 2), met: ratio >= 10 };
  };
  const identical = (variant: string) => {
    const row = rows.find((r) => r.variant === variant && r.scenario.startsWith('POST 500 identical'));
    if (!row?.result) return { text: 'not measured' };
    const r = row.result;
    const n503 = r.statusCounts['503'] ?? 0;
    return { text: `${n503} × 503 (${r.statusCounts['201'] ?? 0} × 201, ${r.statusCounts['200'] ?? 0} × 200)`, met: n503 === 0 };
  };
  const bounded503 = (variant: string) => {
    const row = rows.find((r) => r.variant === variant && r.scenario === 'POST mix' && r.connections === 1024);
    if (!row?.result) return { text: 'not measured (no @1024 row)' };
    const answers = Object.values(row.result.statusCounts).reduce((sum, n) => sum + n, 0);
    const share = (row.result.statusCounts['503'] ?? 0) / Math.max(1, answers);
    return { text: `${fixed(share * 100, 1)} %`, met: share < 0.01 };
  };
  const goals: [string, string, (variant: string) => { text: string; met?: boolean }][] = [
    ['POST @64 conns ÷ per-request ceiling', '≥ 1.0', (v) => ratioAt(v, 64)],
    ['POST @256 conns ÷ per-request ceiling', '≥ 1.0', (v) => ratioAt(v, 256)],
    ['POST capacity at p99 < 50 ms ÷ ceiling', '≥ 0.8', capacity],
    ['batch (500) items/s ÷ single-POST req/s', '≥ 10', batch],
    ['500 identical concurrent first POSTs', '0 × 503', identical],
    ['POST @1,024 conns: bounded 503s (of all answers)', '< 1 %', bounded503],
  ];
  const cell = (value: { text: string; met?: boolean }) =>
    value.met === undefined ? value.text : `${value.text} (${value.met ? 'met' : 'not met'})`;
  return markdownTable(
    ['figure (issue 11)', 'goal', ...variants.map((v) => v || 'measured')],
    goals.map(([figure, goal, measure]) => [figure, goal, ...variants.map((v) => cell(measure(v)))]),
  );
}
