import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { markdownTable } from './report.js';

/** The parts of V8's .cpuprofile (written by `node --cpu-prof`) that self time needs. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  /** Native functions (no script of their own): the nearest caller in a script, by self time. */
  callers?: Map<string, number>;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Total minus (idle): the time the process was doing something. */
  busyMs: number;
  functions: SelfTime[];
  packages: SelfTime[];
}

export function findProfiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name));
}

/** Where a function lives, shortened: `pkg/file.js` for dependencies, `src/…` for the service, `node:…` for Node. */
function shortUrl(url: string): string {
  if (!url) return '';
  const inModules = url.lastIndexOf('/node_modules/');
  if (inModules >= 0) return url.slice(inModules + '/node_modules/'.length);
  const inSource = url.lastIndexOf('/src/');
  if (inSource >= 0) return url.slice(inSource + 1);
  return url.replace(/^file:\/\//, '');
}

/** The package (or area) a function belongs to, for a coarser view. */
function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node (built-in modules)';
  const inModules = url.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return 'service code (src/)';
}

/** Self time per function (name + file) and per package, from the sample timeline. */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const selfMs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas && profile.samples.length > 0) {
    // timeDeltas[i] is the time from sample i-1 to sample i: sample i accounts for the time until the next one.
    for (let i = 0; i < profile.samples.length; i++) {
      const delta = (profile.timeDeltas[i + 1] ?? 0) / 1000;
      selfMs.set(profile.samples[i], (selfMs.get(profile.samples[i]) ?? 0) + delta);
    }
  } else {
    const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    for (const node of profile.nodes) selfMs.set(node.id, ((node.hitCount ?? 0) * totalMs) / Math.max(1, hits));
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  /** The nearest ancestor that is a dependency's or the service's script (not Node's own internals). */
  const scriptCaller = (id: number): string | undefined => {
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const url = byId.get(at)!.callFrame.url;
      if (url && !url.startsWith('node:')) return url;
    }
    return undefined;
  };

  const byFunction = new Map<string, SelfTime>();
  const byArea = new Map<string, SelfTime>();
  let idleMs = 0;
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    if (ms === 0) continue;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idleMs += ms;
      continue;
    }
    const where = shortUrl(node.callFrame.url);
    const key = `${name}\u0000${where}`;
    const entry = byFunction.get(key) ?? { name, where, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
    // Native code (socket writes, file system, crypto) is charged to the package whose script called it.
    const native = !node.callFrame.url && !name.startsWith('(');
    const caller = native ? scriptCaller(node.id) : undefined;
    if (native) {
      entry.callers ??= new Map();
      const from = caller ? shortUrl(caller) : 'Node internals';
      entry.callers.set(from, (entry.callers.get(from) ?? 0) + ms);
    }
    const area = native ? `${caller ? areaOf(caller, name) : 'node (built-in modules)'} → native` : areaOf(node.callFrame.url, name);
    const areaEntry = byArea.get(area) ?? { name: area, where: '', ms: 0 };
    areaEntry.ms += ms;
    byArea.set(area, areaEntry);
  }
  const sorted = (map: Map<string, SelfTime>) => [...map.values()].sort((a, b) => b.ms - a.ms);
  return { file, totalMs, busyMs: totalMs - idleMs, functions: sorted(byFunction).slice(0, top), packages: sorted(byArea).slice(0, 10) };
}

/** `pkg/file.js`, or for native code `native, from pkg/file.js` (its main caller). */
function describeWhere(entry: SelfTime): string {
  if (!entry.callers) return entry.where;
  const [main] = [...entry.callers].sort((a, b) => b[1] - a[1]);
  return main ? `native, from ${main[0]}` : 'native';
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const pct = (ms: number) => `${((ms / Math.max(1, summary.busyMs)) * 100).toFixed(1)} %`;
  return [
    `CPU profile: ${summary.file}`,
    `profiled ${(summary.totalMs / 1000).toFixed(1)} s, busy (not idle) ${(summary.busyMs / 1000).toFixed(1)} s; shares below are of busy time`,
    '',
    `Top ${summary.functions.length} functions by self time:`,
    markdownTable(
      ['#', 'function', 'where', 'self ms', 'share'],
      summary.functions.map((entry, i) => [String(i + 1), entry.name, describeWhere(entry), entry.ms.toFixed(0), pct(entry.ms)]),
      ['r', 'l', 'l', 'r', 'r'],
    ),
    '',
    'Self time by package:',
    markdownTable(
      ['package / area', 'self ms', 'share'],
      summary.packages.map((entry) => [entry.name, entry.ms.toFixed(0), pct(entry.ms)]),
      ['l', 'r', 'r'],
    ),
  ].join('\n');
}
