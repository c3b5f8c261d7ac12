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
  /** PostgreSQL work per request the server completed, until the archive settled: write transactions (xids taken) and WAL. */
  db?: { writeTxPerRequest: number; walKbPerRequest: number };
  failure?: string;
}

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
  const body = rows.map((row) => {
    const r = row.result;
    const w = row.window;
    const cells = r
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

/** Status mix and other per-row details that do not fit the table. */
export function formatRowDetails(rows: BenchRow[]): string[] {
  return rows
    .filter((row) => row.result)
    .map((row) => {
      const r = row.result!;
      const statuses = Object.entries(r.statusCounts)
        .map(([status, count]) => `${status}×${count}`)
        .join(' ');
      const parts = [`${row.variant ? `[${row.variant}] ` : ''}${row.scenario} @${row.connections}: ${r.ok} ok in ${fixed(r.seconds)} s`];
      if (statuses) parts.push(`statuses ${statuses}`);
      if (r.newItems !== undefined) parts.push(`new items ${r.newItems}, re-sends ${r.resends}`);
      if (row.window) {
        const cpu = row.window.cpuPercent;
        parts.push(
          `CPU in kernel: service ${fixed(cpu.serviceSys, 0)} of ${fixed(cpu.service, 0)} %, PostgreSQL ${fixed(cpu.postgresSys, 0)} of ${fixed(cpu.postgres, 0)} %`,
        );
      }
      if (row.db)
        parts.push(`DB per request: ${fixed(row.db.writeTxPerRequest, 2)} write transactions, ${fixed(row.db.walKbPerRequest, 1)} kB WAL`);
      if (row.activity && row.activity.samples > 0) parts.push(`PostgreSQL ${formatActivity(row.activity)}`);
      if (row.archiveBacklog !== undefined) parts.push(`archive backlog after row ${row.archiveBacklog}`);
      if (r.firstErrors.length > 0) parts.push(`first errors: ${r.firstErrors.join(' / ')}`);
      return `- ${parts.join('; ')}`;
    });
}
