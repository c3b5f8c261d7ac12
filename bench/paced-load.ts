/**
 * Our own HTTP load generator on undici, run as its own process by run-bench (like load.ts), for what
 * autocannon cannot do:
 *
 * - **open loop** (`pace.rate`): request i is dispatched at t0 + i / rate, evenly spaced (not a burst
 *   per second), whatever the answers do, and its latency counts from that scheduled time — so time
 *   spent queueing anywhere (in the service, in the kernel, waiting here for a free connection) is in
 *   the figure and a slow server cannot hide it (no coordinated omission). How late the generator
 *   itself dispatched each request (timer granularity, a busy event loop) is measured and reported, so
 *   a saturated generator shows itself instead of quietly lowering the rate.
 * - **closed loop** (`pace.concurrency`): that many requests in flight, the next sent when one is
 *   answered, latency from the send. Used where the answer has to be read, e.g. the batch rows, whose
 *   answers are counted item by item (`results[].status`).
 *
 * Bounded in count (`maxRequests`) and time: the schedule spans `durationSeconds`, answers are awaited
 * at most `timeoutSeconds` more, then whatever is still outstanding is aborted and counted.
 */
import { Pool } from 'undici';
import { cpuPercent, readJob, reportProgress, reportResult, type MeasuredResult } from './child-protocol.js';
import { LatencyHistogram } from './histogram.js';
import { requestFactory, type BuiltRequest, type LoadScenario } from './requests.js';

export interface PacedJob {
  url: string;
  /** Sent as `Authorization: Bearer …` on every request. */
  apiKey: string;
  pace: { rate: number } | { concurrency: number };
  durationSeconds: number;
  maxRequests: number;
  /** Open loop: connections the generator may open; a request due while all are busy waits for one (and is counted). */
  maxConnections: number;
  timeoutSeconds: number;
  scenario: LoadScenario;
}

const job = readJob<PacedJob>();
const requests = requestFactory(job.scenario);
const timeoutMs = job.timeoutSeconds * 1000;
const connections = 'rate' in job.pace ? job.maxConnections : job.pace.concurrency;
const pool = new Pool(job.url, {
  connections,
  pipelining: 1,
  connectTimeout: timeoutMs,
  headersTimeout: timeoutMs,
  bodyTimeout: timeoutMs,
});
const GET_HEADERS = { accept: 'application/json', authorization: `Bearer ${job.apiKey}` };
const POST_HEADERS = { ...GET_HEADERS, 'content-type': 'application/json' };
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

const latency = new LatencyHistogram();
const lag = new LatencyHistogram();
const fromSend = new LatencyHistogram();
const statusCounts: Record<string, number> = {};
const itemStatusCounts: Record<string, number> = {};
const firstErrors: string[] = [];
let ok = 0;
let non2xx = 0;
let errors = 0;
let timeouts = 0;
let itemsOk = 0;
let sent = 0;
let inFlight = 0;
let maxInFlight = 0;
let queuedForConnection = 0;
let abandoned = 0;
let abandoning = false;
let lastAnswerAt = 0;
const abort = new AbortController();

function noteError(message: string): void {
  if (firstErrors.length < 5 && !firstErrors.includes(message)) firstErrors.push(message);
}

/** A batch answer: `{ results: [{ status }, …] }`, one result per item. */
function countItems(text: string): void {
  try {
    const body = JSON.parse(text) as { results?: { status?: number }[] };
    for (const result of body.results ?? []) {
      const status = String(result.status ?? 'none');
      itemStatusCounts[status] = (itemStatusCounts[status] ?? 0) + 1;
      if (result.status === 200 || result.status === 201) itemsOk++;
    }
  } catch {
    noteError('a batch answer was not JSON with results[]');
  }
}

/** Sends one request; `timedFrom` is its scheduled time (open loop) or its send time (closed loop). Never rejects. */
async function send(request: BuiltRequest, timedFrom: number): Promise<void> {
  sent++;
  inFlight++;
  if (inFlight > maxInFlight) maxInFlight = inFlight;
  if (inFlight > connections) queuedForConnection++;
  const sentAt = performance.now();
  try {
    const response = await pool.request({
      method: request.method,
      path: request.path,
      body: request.body,
      headers: request.body === undefined ? GET_HEADERS : POST_HEADERS,
      signal: abort.signal,
    });
    const text = await response.body.text();
    const now = performance.now();
    lastAnswerAt = now;
    latency.record(now - timedFrom);
    fromSend.record(now - sentAt);
    const status = response.statusCode;
    statusCounts[status] = (statusCounts[status] ?? 0) + 1;
    if (status >= 200 && status < 300) {
      ok++;
      if (job.scenario.kind === 'post-batch') countItems(text);
    } else {
      non2xx++;
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (abandoning) abandoned++;
    if (abandoning || (code !== undefined && TIMEOUT_CODES.has(code))) timeouts++;
    else errors++;
    if (!abandoning) noteError(error instanceof Error ? `${code ?? error.name}: ${error.message}` : String(error));
  } finally {
    inFlight--;
  }
}

const cpuStart = process.cpuUsage();
const startedAt = Date.now();
const ticker = setInterval(
  () => reportProgress({ elapsedSeconds: (Date.now() - startedAt) / 1000, ok, failed: non2xx + errors + timeouts }),
  1000,
);
process.once('SIGINT', () => {
  abandoning = true;
  abort.abort();
});

/** Waits for every sent request, at most `ms`; then aborts the rest (they count as abandoned timeouts). */
async function settle(all: Promise<void>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), ms)));
  const outcome = await Promise.race([Promise.all(all), expired]);
  clearTimeout(timer);
  if (outcome === 'expired') {
    abandoning = true;
    abort.abort();
    await Promise.all(all);
  }
}

let t0 = performance.now();
let openLoop: MeasuredResult['openLoop'];

if ('rate' in job.pace) {
  const rate = job.pace.rate;
  const interval = 1000 / rate;
  const scheduled = Math.max(1, Math.min(job.maxRequests, Math.round(rate * job.durationSeconds)));
  const all: Promise<void>[] = [];
  let next = 0;
  let lastSendAt = 0;
  t0 = performance.now() + 20;
  // A generator that has fallen this far behind its schedule stops sending (the rest count as not sent).
  const giveUpAt = t0 + job.durationSeconds * 1000 + timeoutMs;
  await new Promise<void>((resolve) => {
    const tick = () => {
      let now = performance.now();
      while (next < scheduled && t0 + next * interval <= now && !abandoning) {
        const due = t0 + next * interval;
        const request = requests.next();
        now = performance.now();
        lag.record(now - due);
        all.push(send(request, due));
        lastSendAt = now;
        next++;
      }
      if (next >= scheduled || now > giveUpAt || abandoning) return resolve();
      // Node timers have 1 ms granularity: at rates above 1,000/s a tick sends the few requests that fell due.
      setTimeout(tick, Math.max(0, t0 + next * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  await settle(all, timeoutMs + 1000);
  openLoop = {
    targetRate: rate,
    scheduled,
    sent,
    sendRate: sent / ((lastSendAt - t0) / 1000 + 1 / rate),
    lag: lag.summary(),
    fromSend: fromSend.summary(),
    maxInFlight,
    queuedForConnection,
    abandoned,
  };
} else {
  t0 = performance.now();
  const deadline = t0 + job.durationSeconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline && sent < job.maxRequests && !abandoning) {
      const request = requests.next();
      await send(request, performance.now());
    }
  };
  const all = Array.from({ length: job.pace.concurrency }, () => worker());
  // Each request is bounded by the undici timeouts; this bounds the whole.
  await settle(all, job.durationSeconds * 1000 + 2 * timeoutMs + 1000);
}

clearInterval(ticker);
// From the first due time (or the first send) to the last answer: what the service got through, per second.
const seconds = Math.max(0.001, ((lastAnswerAt || performance.now()) - t0) / 1000);
await pool.destroy().catch(() => undefined);

const counts = requests.counts();
const result: MeasuredResult = {
  seconds,
  ok,
  perSecond: ok / seconds,
  latency: latency.summary(),
  statusCounts,
  non2xx,
  errors,
  timeouts,
  generatorCpuPercent: cpuPercent(cpuStart, Date.now() - startedAt),
  newItems: counts?.newItems,
  resends: counts?.resends,
  firstErrors,
  openLoop,
  items: job.scenario.kind === 'post-batch' ? { ok: itemsOk, statusCounts: itemStatusCounts } : undefined,
};
reportResult(result);
