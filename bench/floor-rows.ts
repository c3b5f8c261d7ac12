import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { post, send } from '../harness/http-client.js';
import { startServiceProcess, type ServiceProcess } from '../harness/service-process.js';
import { costCents, pickType, seededItem, sku, storeUuid, title } from './catalog.js';
import type { MeasuredResult } from './child-protocol.js';
import { FLOOR_REQUEST_PREFIX } from './floor/floor-store.js';
import { GET_STORE_SKU_SCENARIO } from './get-rows.js';
import { settleArchive } from './pg-work.js';
import { treeCpuMs } from './proc-tree.js';
import { markdownTable } from './report.js';
import type { LoadScenario } from './requests.js';
import { pacedRun, type VariantRun } from './row.js';
import type { Seeded } from './seed.js';
import { progress, say, session } from './session.js';
import { DEFAULT_POST_MIX } from './workload.js';
import { errorText } from '../src/common/error-text.js';

/**
 * The floor (issue 19): the service's CPU per GET and per POST against a bare Nest + pg app doing the
 * same database work (bench/floor). Both run as child processes against the same database; each row
 * sends a fixed number of requests at a fixed open-loop rate (below both's capacity) to one of them,
 * service and floor rows interleaved, and counts the CPU time its process tree used — not latency.
 */

const FLOOR_SCRIPT = fileURLToPath(new URL('./floor/main.js', import.meta.url));
/** Issue 19's objective: the service's CPU per request at most this many times the floor's. */
const FLOOR_GOAL = 1.3;
/**
 * HTTP connections per floor row (requests due while all are busy wait in the generator): opening
 * sockets is not what is compared, and on a busy machine an uncapped open loop would open hundreds.
 * The warm-up runs as many requests in flight, so both processes' pools are full before the rows.
 */
const FLOOR_CONNECTIONS = 16;
/** The longest a warm-up of one kind to one process may take (it ends sooner once --floor-warmup requests are answered). */
const FLOOR_WARMUP_SECONDS = 30;

export type FloorRequest = 'GET' | 'POST';
const REQUESTS: readonly FloorRequest[] = ['GET', 'POST'];

/** One row: `requests` requests of one kind to one target at `rate`, and the CPU time its process tree used. */
export interface FloorRow {
  variant: string;
  /** 'set-up': the floor did not start or failed its check (then no other row of the variant ran). */
  request: FloorRequest | 'set-up';
  target: 'service' | 'floor';
  round: number;
  rate: number;
  requests: number;
  result?: MeasuredResult;
  /** From just before the first request until the last answer (POST: until its archive records were settled). */
  cpuMs?: number;
  failure?: string;
}

/** The floor's outbox rows are never uploaded: marked archived after each of its rows, so the service's sweeper never takes them. */
async function markFloorArchived(db: pg.Client): Promise<void> {
  await db.query(`UPDATE archive_record SET archived_at = now() WHERE archived_at IS NULL AND document->>'request_id' LIKE $1`, [
    `${FLOOR_REQUEST_PREFIX}%`,
  ]);
}

/**
 * Like for like, checked before anything is measured: a GET by store and SKU answers the same bytes
 * from both, and an item POSTed to the floor (201 created) is, to the service, an unchanged re-send (200
 * unchanged, the same plans): the floor stored the same store, item, pricing version and plans.
 */
async function checkLikeForLike(service: string, floor: string, seed: Seeded): Promise<string> {
  const seeded = seededItem(seed.result.shape, Math.floor(Math.random() * seed.result.shape.items));
  const path = `/api/warranties?store_uuid=${storeUuid(seeded.storeIndex)}&sku=${sku(seeded.skuIndex)}`;
  const [fromService, fromFloor] = await Promise.all([send(service, path), send(floor, path)]);
  if (fromService.status !== 200 || fromFloor.status !== 200 || fromService.text !== fromFloor.text)
    throw new Error(
      `floor check: GET ${path} answered differently:\n  service ${fromService.status} ${fromService.text}\n  floor ${fromFloor.status} ${fromFloor.text}`,
    );
  const type = pickType(Math.random());
  const skuIndex = DEFAULT_POST_MIX.skus + 2_000_000 + Math.floor(Math.random() * 1e6);
  const item = {
    store_uuid: storeUuid(Math.floor(Math.random() * DEFAULT_POST_MIX.stores)),
    item_type: type.type,
    item_sku: sku(skuIndex),
    item_cost: costCents(type, Math.random()) / 100,
    item_title: title(type, skuIndex),
  };
  const first = await post(floor, item);
  const again = await post(service, item);
  const plansOf = (reply: { body?: unknown }) => JSON.stringify((reply.body as { warranties?: unknown } | undefined)?.warranties);
  if (
    first.status !== 201 ||
    again.status !== 200 ||
    first.body?.change !== 'created' ||
    // A build before the change feed answers no change.
    (again.body?.change ?? 'unchanged') !== 'unchanged' ||
    plansOf(first) !== plansOf(again)
  )
    throw new Error(
      `floor check: a new item POSTed to the floor, then to the service:\n  floor ${first.status} ${first.text}\n  service ${again.status} ${again.text}`,
    );
  const plans = (fromFloor.body as { warranties: unknown[] }).warranties.length;
  return `floor check: GET by store and SKU answered the same ${plans} plan(s) from both; a new item POSTed to the floor (201) was an unchanged re-send to the service (200 unchanged, the same plans)`;
}

/** Sends `requests` at `rate` to one target and counts the CPU time of its process tree meanwhile. */
async function cpuRow(run: VariantRun, target: ServiceProcess, row: FloorRow, scenario: LoadScenario): Promise<FloorRow> {
  const label = `floor rows: ${row.request} to the ${row.target}`;
  const pid = target.child.pid!;
  try {
    const before = treeCpuMs(pid);
    const child = pacedRun(target.url, { rate: row.rate }, row.requests / row.rate, scenario, label, {
      maxRequests: row.requests,
      maxConnections: FLOOR_CONNECTIONS,
    })();
    session.activeChild = child;
    const result = await child.result;
    if (row.request === 'POST') await (row.target === 'floor' ? markFloorArchived(run.db) : settleArchive(run.db));
    row.cpuMs = treeCpuMs(pid) - before;
    row.result = result;
    const failed = result.non2xx + result.errors + result.timeouts;
    if (failed > 0 || result.ok < row.requests)
      row.failure = `${result.ok} of ${row.requests} answered 2xx (${JSON.stringify(result.statusCounts)})`;
    say(
      `  ${row.request} ${row.target}, round ${row.round}: ${(row.cpuMs / Math.max(1, result.ok)).toFixed(3)} ms CPU per request ` +
        `(${result.ok} at ${row.rate}/s, p99 ${result.latency.p99.toFixed(1)} ms)${row.failure ? ` — ${row.failure}` : ''}`,
    );
  } catch (error) {
    if (session.interrupted) throw error;
    row.failure = error instanceof Error ? error.message.split('\n')[0] : String(error);
    say(`  ${row.request} ${row.target}, round ${row.round}: FAILED ${errorText(error)}`);
  } finally {
    session.activeChild = undefined;
  }
  return row;
}

/** Starts the floor next to the variant's service, checks it, warms both up, runs the interleaved rows, stops the floor. */
export async function floorRows(run: VariantRun, seed: Seeded): Promise<FloorRow[]> {
  const { options, db } = run;
  const service = session.service!;
  const rows: FloorRow[] = [];
  const rate = (request: FloorRequest) => (request === 'GET' ? options.floorRates.get : options.floorRates.post);
  const count = (request: FloorRequest) => (request === 'GET' ? options.floorRequests.get : options.floorRequests.post);
  const scenario = (request: FloorRequest): LoadScenario =>
    request === 'GET' ? { kind: 'get-store-sku', shape: seed.result.shape } : { kind: 'post', mix: DEFAULT_POST_MIX };
  const started = Date.now();
  progress.update('starting the floor');
  const floor = await startServiceProcess(run.plan.env, { inherit: 'basics', mainScript: FLOOR_SCRIPT, readyTimeoutMs: 30_000 });
  session.floor = floor;
  try {
    say(`  ${await checkLikeForLike(service.url, floor.url, seed)}`);
    await markFloorArchived(db);
    await db.query('ANALYZE');
    // Warm-up (not counted), closed loop so that the JIT sees many requests in little time: the floor has
    // not run yet; the service too unless its rows of this variant already sent it these requests. By
    // count, not time: the service has more code for V8 to optimise, and its CPU per GET was still falling
    // after 4,000 requests (rounds of 1,000: 1.42, 0.97, 1.08, 0.65, 0.69, 0.72, 0.51, 0.57 ms).
    const warmSeconds = FLOOR_WARMUP_SECONDS;
    const served = (request: FloorRequest) =>
      run.rows.some((row) => row.result && (request === 'GET' ? row.scenario === GET_STORE_SKU_SCENARIO : row.scenario === 'POST mix'));
    for (const request of REQUESTS) {
      for (const target of served(request) ? [floor] : [service, floor]) {
        await pacedRun(target.url, { concurrency: FLOOR_CONNECTIONS }, warmSeconds, scenario(request), `floor warm-up ${request}`, {
          maxRequests: options.floorWarmup,
        })().result;
      }
      if (request === 'POST') await markFloorArchived(db);
    }
    await settleArchive(db);
    for (const request of REQUESTS) {
      for (let round = 1; round <= options.floorRounds && !session.interrupted; round++) {
        for (const [target, running] of [
          ['service', service],
          ['floor', floor],
        ] as const) {
          const row: FloorRow = { variant: run.plan.variant.name, request, target, round, rate: rate(request), requests: count(request) };
          rows.push(await cpuRow(run, running, row, scenario(request)));
        }
      }
    }
  } catch (error) {
    if (session.interrupted) throw error;
    const failure = errorText(error);
    say(`  floor rows: FAILED ${failure}`);
    rows.push({
      variant: run.plan.variant.name,
      request: 'set-up',
      target: 'floor',
      round: 0,
      rate: 0,
      requests: 0,
      failure: failure.split('\n')[0],
    });
  } finally {
    progress.update('stopping the floor');
    await floor.stop('SIGTERM', 5_000);
    session.floor = undefined;
  }
  say(`  floor rows: ${rows.length} in ${Math.round((Date.now() - started) / 1000)} s, the floor's start, check and warm-up included`);
  return rows;
}

const perRequest = (rows: FloorRow[]) => {
  const measured = rows.filter((row) => row.cpuMs !== undefined && row.result && !row.failure);
  const ok = measured.reduce((sum, row) => sum + row.result!.ok, 0);
  return ok > 0 ? measured.reduce((sum, row) => sum + row.cpuMs!, 0) / ok : undefined;
};

/** Every floor row: what was sent, what came back, the CPU time. */
export function formatFloorTable(rows: FloorRow[], showVariant: boolean): string {
  const body = rows.map((row) => {
    const r = row.result;
    const cells =
      r && row.cpuMs !== undefined
        ? [
            String(r.ok),
            row.cpuMs.toFixed(0),
            (row.cpuMs / Math.max(1, r.ok)).toFixed(3),
            r.latency.p50.toFixed(1),
            r.latency.p99.toFixed(1),
            `${r.non2xx}/${r.errors}/${r.timeouts}`,
          ]
        : [`FAILED: ${row.failure ?? 'unknown'}`, '', '', '', '', ''];
    return [
      ...(showVariant ? [row.variant] : []),
      row.request,
      row.target,
      ...(row.request === 'set-up' ? ['', '', ''] : [String(row.round), `${row.rate}/s`, String(row.requests)]),
      ...cells,
    ];
  });
  return markdownTable(
    [
      ...(showVariant ? ['variant'] : []),
      'request',
      'process',
      'round',
      'rate',
      'sent',
      '2xx',
      'CPU ms',
      'CPU ms per request',
      'p50 ms',
      'p99 ms',
      'non-2xx/errors/timeouts',
    ],
    body,
    [...(showVariant ? ['l' as const] : []), 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

/** "CPU per GET: service X ms, floor Y ms, ratio Z", per variant: all rounds' CPU time ÷ all their 2xx. */
export function formatFloorSummary(rows: FloorRow[], variants: string[], showVariant: boolean): string[] {
  const lines: string[] = [];
  for (const variant of variants) {
    for (const request of REQUESTS) {
      const of = (target: FloorRow['target']) =>
        rows.filter((row) => row.variant === variant && row.request === request && row.target === target);
      const service = perRequest(of('service'));
      const floor = perRequest(of('floor'));
      if (service === undefined && floor === undefined) continue;
      const ms = (value: number | undefined) => (value === undefined ? 'not measured' : `${value.toFixed(3)} ms`);
      const ratio = service !== undefined && floor !== undefined ? service / floor : undefined;
      const verdict = ratio === undefined ? '' : ` (goal ≤ ${FLOOR_GOAL}: ${ratio <= FLOOR_GOAL ? 'met' : 'not met'})`;
      lines.push(
        `${showVariant ? `[${variant}] ` : ''}CPU per ${request}: service ${ms(service)}, floor ${ms(floor)}, ratio ${ratio === undefined ? '–' : ratio.toFixed(2)}${verdict}`,
      );
    }
  }
  return lines;
}
