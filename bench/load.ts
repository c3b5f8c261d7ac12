/**
 * HTTP load generator, run as its own process by run-bench so it does not share an event loop with
 * the orchestrator: autocannon with a request built per call (a fresh POST payload, a random GET
 * filter), latencies of every response into a histogram, the result as JSON on stdout.
 */
import autocannon from 'autocannon';
import { cpuPercent, MAX_REQUESTS_PER_ROW, readJob, reportProgress, reportResult, type MeasuredResult } from './child-protocol.js';
import { LatencyHistogram } from './histogram.js';
import { requestFactory, type LoadScenario } from './requests.js';

export type { LoadScenario } from './requests.js';

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
const requests = requestFactory(job.scenario);

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
  requests: [{ setupRequest: (request) => ({ ...request, ...requests.next() }) }],
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
  newItems: requests.counts()?.newItems,
  resends: requests.counts()?.resends,
  firstErrors,
};
reportResult(measured);
