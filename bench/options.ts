import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export type ScenarioGroup = 'ceiling' | 'post' | 'open' | 'batch' | 'get' | 'floor' | 'fair' | 'archive';
const GROUPS: readonly ScenarioGroup[] = ['ceiling', 'post', 'open', 'batch', 'get', 'floor', 'fair', 'archive'];

export interface Variant {
  name: string;
  env: Record<string, string>;
  /** The service entry to start; undefined → this checkout's build (dist/src/main.js). */
  mainScript?: string;
  /** Traces exported to the run's OTLP receiver (--tracing): OTEL_EXPORTER_OTLP_ENDPOINT is set when it starts. */
  tracing?: boolean;
}

export interface BenchOptions {
  quick: boolean;
  /** Warranties seeded for the GET rows. */
  rows: number;
  durationSeconds: number;
  warmupSeconds: number;
  postConnections: number[];
  /** One set of GET rows per count: 1 shows a request's own latency, 64 the throughput under load. */
  getConnections: number[];
  /** Open-loop POST rows, in % of the same run's ceiling (tx/s); GET rows in % of the GET store+sku closed-loop row. */
  openRates: number[];
  getOpenRates: number[];
  /** Seconds per fixed-rate row (the search steps have their own). */
  openSeconds: number;
  /** Bisection steps of each capacity-at-SLO search, and the length of each step's row. */
  searchSteps: number;
  searchSeconds: number;
  /** Items per POST /api/warranties/batch request, one row each, and the batch requests in flight. */
  batchSizes: number[];
  batchConnections: number;
  /** The floor comparison: open-loop rate and requests per row for GET and for POST, and service/floor row pairs per kind. */
  floorRates: { get: number; post: number };
  floorRequests: { get: number; post: number };
  floorRounds: number;
  /** Seconds of the fairness row (one store flooding, another inside its budget). */
  fairSeconds: number;
  /** Closed-loop requests of each kind sent to each process before its floor rows (not counted): V8 has optimised the code by then. */
  floorWarmup: number;
  /** Size of the archive backlog whose drain into S3 (s3rver) is timed. */
  archiveRecords: number;
  only: Set<ScenarioGroup>;
  /** Service settings to compare within one run; each gets its own service start, ceiling and rows. */
  variants: Variant[];
  /** DB_POOL_SIZE per worker; undefined → the service's own default. */
  poolSize: number | undefined;
  /** Adds a ceiling row that also runs the service's post-upload archive UPDATE as a second transaction. */
  ceilingArchiveUpdate: boolean;
  profile: boolean;
  profileDir: string | undefined;
  jsonFile: string | undefined;
  maxMinutes: number;
}

export const USAGE = `npm run bench -- [options]

  --quick               CI smoke: 3 s rows, 64 and 256 POST connections, 20,000 seeded warranties
  --rows=<n>            warranties to seed for the GET rows (full: 1,000,000)
  --duration=<s>        seconds per row (full: 15)
  --connections=<list>  POST connection counts (full: 64,256,1024)
  --get-connections=<list> connections for the GET rows (full: 1,64; quick: 64)
  --only=<list>         any of ceiling,post,open,batch,get,floor,fair,archive (default all; with --profile: post)
                        open = fixed-arrival-rate rows and capacity at SLO (POST needs a ceiling row, measured
                        anyway; GET needs get); batch = POST /api/warranties/batch rows; floor = CPU per GET and
                        per POST of the service against a bare Nest + pg app (bench/floor); fair = one store key
                        flooding GETs (32 connections, closed loop) while another sends 10 GETs/s inside its budget
  --rates=<list>        open-loop POST rates in % of the run's ceiling (full: 25,50,75,100; quick: 50,100)
  --get-rates=<list>    open-loop GET store+sku rates in % of its closed-loop row (full: 25,50,75,100; quick: 50,100)
  --open-duration=<s>   seconds per fixed-rate row (full: 10; quick: 3)
  --search-steps=<n>    bisection steps per capacity-at-SLO search (full: 4; quick: 3)
  --search-seconds=<s>  seconds per search step (full: 8; quick: 2)
  --batch-sizes=<list>  items per batch request, one row each (default 50,500)
  --batch-connections=<n> batch requests in flight (default 8)
  --floor-rates=<g,p>   open-loop GET and POST rates of the floor rows, per second (default 100,50)
  --floor-requests=<g,p> requests per floor row, GET and POST (full: 600,300; quick: 200,100)
  --floor-rounds=<n>    service/floor row pairs per request kind (full: 3; quick: 2)
  --fair-duration=<s>   seconds of the fairness row (full: 60; quick: 10)
  --floor-warmup=<n>    requests of each kind to each process before the floor rows, not counted (full: 5000;
                        quick: 2000; each at most 30 s)
  --archive-records=<n> archive backlog drained into S3 (s3rver) and timed (full: 10,000; quick: 1,000)
  --pool=<n>            DB_POOL_SIZE per service worker (default: the service's own default)
  --env KEY=VALUE       extra environment for the service (repeatable), e.g. --env WEB_CONCURRENCY=1
  --compare "K=V K=V"   add a service variant to compare in the same run (repeatable); rows are run per variant
  --tracing             also run the service with tracing on (OpenTelemetry, exporting http/protobuf to an OTLP
                        receiver in the bench process that only counts), e.g. --only=floor --tracing for its CPU cost
  --compare-build=<dir> also run another build of the service (the dist folder of an older checkout, built with
                        npm run build) against the same database and ceiling, e.g. to measure before/after (repeatable)
  --ceiling-archive-update
                        add a ceiling row that also commits the archive's post-upload UPDATE (prices that second commit)
  --profile[=<dir>]     start the service with --cpu-prof (WEB_CONCURRENCY=1) and print the top self-time functions
  --json=<file>         also write all results as JSON
  --max-minutes=<n>     abort (and clean up) after this long (default: quick 5, full 30)
  --help`;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`--${name} must be a positive integer (got "${raw}")`);
  return Number(raw);
}

function envPairs(texts: string[], what: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of texts.flatMap((text) => text.trim().split(/\s+/)).filter(Boolean)) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new Error(`${what} expects KEY=VALUE (got "${pair}")`);
    env[match[1]] = match[2];
  }
  return env;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    // `--profile` may come without a value; parseArgs wants one for a string option.
    args: argv.map((arg) => (arg === '--profile' ? '--profile=' : arg)),
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      rows: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      'get-connections': { type: 'string' },
      'archive-records': { type: 'string' },
      rates: { type: 'string' },
      'get-rates': { type: 'string' },
      'open-duration': { type: 'string' },
      'search-steps': { type: 'string' },
      'search-seconds': { type: 'string' },
      'batch-sizes': { type: 'string' },
      'batch-connections': { type: 'string' },
      'floor-rates': { type: 'string' },
      'floor-requests': { type: 'string' },
      'floor-rounds': { type: 'string' },
      'fair-duration': { type: 'string' },
      'floor-warmup': { type: 'string' },
      only: { type: 'string' },
      pool: { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
      compare: { type: 'string', multiple: true, default: [] },
      'compare-build': { type: 'string', multiple: true, default: [] },
      tracing: { type: 'boolean', default: false },
      'ceiling-archive-update': { type: 'boolean', default: false },
      profile: { type: 'string' },
      json: { type: 'string' },
      'max-minutes': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const profile = values.profile !== undefined;
  const only = new Set<ScenarioGroup>();
  for (const group of (values.only ?? (profile ? 'post' : GROUPS.join(','))).split(',')) {
    if (!GROUPS.includes(group as ScenarioGroup)) throw new Error(`--only takes ${GROUPS.join(', ')} (got "${group}")`);
    only.add(group as ScenarioGroup);
  }
  const list = (name: string, raw: string | undefined, fallback: string) =>
    (raw ?? fallback).split(',').map((n) => positiveInt(name, n, 1));
  const pair = (name: string, raw: string | undefined, fallback: string) => {
    const [get, post, ...rest] = list(name, raw, fallback);
    if (post === undefined || rest.length > 0) throw new Error(`--${name} takes two numbers, GET and POST (got "${raw}")`);
    return { get, post };
  };
  const base = envPairs(values.env ?? [], '--env');
  const variants: Variant[] =
    (values.compare ?? []).length === 0
      ? [{ name: '', env: base }]
      : (values.compare ?? []).map((text) => ({ name: text.trim(), env: { ...base, ...envPairs([text], '--compare') } }));
  if (values.tracing) {
    if (variants.length === 1 && variants[0].name === '') variants[0].name = 'tracing off';
    variants.push({ name: 'tracing on', env: base, tracing: true });
  }
  for (const dir of values['compare-build'] ?? []) {
    const mainScript = resolve(dir, 'src', 'main.js');
    if (!existsSync(mainScript)) throw new Error(`--compare-build: ${mainScript} does not exist (build that checkout first)`);
    if (variants.length === 1 && variants[0].name === '') variants[0].name = 'this build';
    variants.push({ name: `build ${dir}`, env: base, mainScript });
  }
  return {
    quick,
    rows: positiveInt('rows', values.rows, quick ? 20_000 : 1_000_000),
    durationSeconds: positiveInt('duration', values.duration, quick ? 3 : 15),
    warmupSeconds: quick ? 2 : 5,
    postConnections: (values.connections ?? (quick ? '64,256' : '64,256,1024')).split(',').map((n) => positiveInt('connections', n, 64)),
    getConnections: (values['get-connections'] ?? (quick ? '64' : '1,64')).split(',').map((n) => positiveInt('get-connections', n, 64)),
    openRates: list('rates', values.rates, quick ? '50,100' : '25,50,75,100'),
    getOpenRates: list('get-rates', values['get-rates'], quick ? '50,100' : '25,50,75,100'),
    openSeconds: positiveInt('open-duration', values['open-duration'], quick ? 3 : 10),
    searchSteps: positiveInt('search-steps', values['search-steps'], quick ? 3 : 4),
    searchSeconds: positiveInt('search-seconds', values['search-seconds'], quick ? 2 : 8),
    batchSizes: list('batch-sizes', values['batch-sizes'], '50,500'),
    batchConnections: positiveInt('batch-connections', values['batch-connections'], 8),
    floorRates: pair('floor-rates', values['floor-rates'], '100,50'),
    floorRequests: pair('floor-requests', values['floor-requests'], quick ? '200,100' : '600,300'),
    floorRounds: positiveInt('floor-rounds', values['floor-rounds'], quick ? 2 : 3),
    fairSeconds: positiveInt('fair-duration', values['fair-duration'], quick ? 10 : 60),
    floorWarmup: positiveInt('floor-warmup', values['floor-warmup'], quick ? 2000 : 5000),
    archiveRecords: positiveInt('archive-records', values['archive-records'], quick ? 1_000 : 10_000),
    only,
    variants,
    poolSize: values.pool === undefined ? undefined : positiveInt('pool', values.pool, 1),
    ceilingArchiveUpdate: values['ceiling-archive-update'] ?? false,
    profile,
    profileDir: values.profile ? values.profile : undefined,
    jsonFile: values.json,
    maxMinutes: positiveInt('max-minutes', values['max-minutes'], quick ? 5 : 30),
  };
}
