/**
 * HTTP load generator, run as its own process by run-bench so it does not share an event loop with
 * the orchestrator: autocannon with a request built per call (a fresh POST payload, a random GET
 * filter), latencies of every response into a histogram, the result as JSON on stdout.
 */
import autocannon, { type RequestShape } from 'autocannon';
import { encodeCursor } from '../src/warranties/page-cursor.js';
import { pickType, seededItem, sku, storeUuid, type SeedShape } from './catalog.js';
import { cpuPercent, MAX_REQUESTS_PER_ROW, readJob, reportProgress, reportResult, type MeasuredResult } from './child-protocol.js';
import { LatencyHistogram } from './histogram.js';
import { PostWorkload, type PostMix } from './workload.js';

export type LoadScenario =
  | { kind: 'post'; mix: PostMix }
  /** One item's plans, as a store's till would look them up. */
  | { kind: 'get-store-sku'; shape: SeedShape }
  /** First page of one item type. */
  | { kind: 'get-type'; limit: number }
  /** The same query, continued from a cursor deep in the type's rows (last id of the previous page, per type). */
  | { kind: 'get-type-deep'; limit: number; afterIds: Record<string, number> };

export interface LoadJob {
  url: string;
  /** Sent as `Authorization: Bearer …` on every request (an admin key: the bench's stores are many). */
  apiKey: string;
  connections: number;
  durationSeconds: number;
  timeoutSeconds: number;
  scenario: LoadScenario;
}

const job = readJob<LoadJob>();
const workload = job.scenario.kind === 'post' ? new PostWorkload(job.scenario.mix) : undefined;

function nextRequest(scenario: LoadScenario): Pick<RequestShape, 'method' | 'path' | 'body'> {
  switch (scenario.kind) {
    case 'post':
      return { method: 'POST', path: '/api/warranties', body: JSON.stringify(workload!.next()) };
    case 'get-store-sku': {
      const item = seededItem(scenario.shape, Math.floor(Math.random() * scenario.shape.items));
      return { method: 'GET', path: `/api/warranties?store_uuid=${storeUuid(item.storeIndex)}&sku=${sku(item.skuIndex)}` };
    }
    case 'get-type':
      return { method: 'GET', path: `/api/warranties?item_type=${pickType(Math.random()).type}&limit=${scenario.limit}` };
    case 'get-type-deep': {
      const type = pickType(Math.random()).type;
      const cursor = encodeCursor(scenario.afterIds[type]);
      return { method: 'GET', path: `/api/warranties?item_type=${type}&limit=${scenario.limit}&cursor=${cursor}` };
    }
  }
}

const histogram = new LatencyHistogram();
const statusCounts: Record<string, number> = {};
const firstErrors: string[] = [];
let ok = 0;
let failed = 0;

const cpuStart = process.cpuUsage();
const started = Date.now();
const instance = autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.durationSeconds,
  maxOverallRequests: Math.max(job.connections, MAX_REQUESTS_PER_ROW),
  timeout: job.timeoutSeconds,
  headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${job.apiKey}` },
  requests: [{ setupRequest: (request) => ({ ...request, ...nextRequest(job.scenario) }) }],
});
instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
  histogram.record(responseTimeMs);
  statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  if (statusCode >= 200 && statusCode < 300) ok++;
  else failed++;
});
instance.on('reqError', (error: Error) => {
  failed++;
  if (firstErrors.length < 5) firstErrors.push(error.message);
});
const ticker = setInterval(() => reportProgress({ elapsedSeconds: (Date.now() - started) / 1000, ok, failed }), 1000);
process.once('SIGINT', () => instance.stop());

const result = await instance;
clearInterval(ticker);
const seconds = result.duration;
const measured: MeasuredResult = {
  seconds,
  ok,
  perSecond: seconds > 0 ? ok / seconds : 0,
  latency: histogram.summary(),
  statusCounts,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  generatorCpuPercent: cpuPercent(cpuStart, Date.now() - started),
  newItems: workload?.newItems,
  resends: workload?.resends,
  firstErrors,
};
reportResult(measured);
