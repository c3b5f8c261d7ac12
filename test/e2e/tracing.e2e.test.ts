/**
 * Tracing (docs/contract/operations.md, Tracing), from the service as its own process exporting to an OTLP
 * receiver in this test: a POST sent with a `traceparent` gives a server span in that trace, its
 * PostgreSQL statements and group commit, and an upload in a trace of its own linked to it; the answer
 * carries `traceparent`; the request's log lines carry `trace_id`. Both OTLP/HTTP encodings, the
 * standard variables, cluster workers, and with no endpoint nothing of OpenTelemetry is loaded.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { post, send, type Reply } from '../../harness/http-client.js';
import { logLines, startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../harness/otlp-receiver.js';
import { createBucket, createDatabase, eventually, SEED_PAYLOAD, serviceEnv } from '../support/test-env.js';

const SERVER = 2;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The trace id, span id and sampled flag of an answer's `traceparent`. */
function answeredSpan(reply: Reply): { traceId: string; spanId: string; sampled: boolean } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/.exec(reply.headers.get('traceparent') ?? '');
  assert.ok(match, `a traceparent header: ${reply.headers.get('traceparent')}`);
  return { traceId: match[1], spanId: match[2], sampled: match[3] === '01' };
}

const tracingEnv = (receiver: OtlpReceiver, extra: Record<string, string>) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  // Spans leave every 100 ms instead of 5 s.
  OTEL_BSP_SCHEDULE_DELAY: '100',
  ...extra,
});

/**
 * Reports every module of the OpenTelemetry SDK, its instrumentations and module hooks that gets loaded
 * (import and require alike). The API package alone is a no-op facade that prom-client always loads.
 */
const OPENTELEMETRY_WATCH = `data:text/javascript,${encodeURIComponent(
  `import { registerHooks } from 'node:module';
   registerHooks({ resolve(specifier, context, next) {
     const resolved = next(specifier, context);
     if (/@opentelemetry\\/(?!api\\/)|import-in-the-middle|require-in-the-middle/.test(resolved.url)) process.stderr.write('OPENTELEMETRY LOADED ' + resolved.url + '\\n');
     return resolved;
   } });`,
)}`;

describe('tracing (service processes, OTLP receiver on 127.0.0.1)', () => {
  let receiver: OtlpReceiver;
  let protobuf: ServiceProcess;
  let json: ServiceProcess;
  let untraced: ServiceProcess;

  before(async () => {
    receiver = await startOtlpReceiver();
    const bucket = await createBucket();
    [protobuf, json, untraced] = await Promise.all([
      startServiceProcess(
        serviceEnv(
          await createDatabase(),
          bucket,
          // One write slot, so that POSTs sent together are saved in group commits.
          tracingEnv(receiver, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', LOG_LEVEL: 'info', DB_WRITE_GROUPS: '1' }),
        ),
      ),
      startServiceProcess(
        serviceEnv(
          await createDatabase(),
          undefined,
          tracingEnv(receiver, {
            OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
            OTEL_SERVICE_NAME: 'warranty-traces-test',
            OTEL_TRACES_SAMPLER: 'parentbased_always_off',
            WEB_CONCURRENCY: '2',
          }),
        ),
      ),
      startServiceProcess(serviceEnv(await createDatabase(), undefined, { LOG_LEVEL: 'info' }), {
        nodeArgs: ['--import', OPENTELEMETRY_WATCH],
      }),
    ]);
  });

  after(async () => {
    await Promise.all([protobuf, json, untraced].map((service) => service?.stop('SIGTERM', 10_000)));
    await receiver?.close();
  });

  const spanWith = (spanId: string) => receiver.spans.find((span) => span.spanId === spanId);

  it('a POST with a traceparent: server span in that trace, PostgreSQL statements, a linked upload in its own trace, trace_id in its logs', async () => {
    const traceId = hex(16);
    const callerSpanId = hex(8);
    const requestId = `traced-${hex(4)}`;
    const reply = await post(
      protobuf.url,
      { ...SEED_PAYLOAD, item_sku: `traced-${hex(4)}` },
      { traceparent: `00-${traceId}-${callerSpanId}-01`, 'x-request-id': requestId },
    );
    assert.equal(reply.status, 201, reply.text);
    const answered = answeredSpan(reply);
    assert.equal(answered.traceId, traceId, 'the incoming trace is continued');
    assert.ok(answered.sampled);

    const upload = () =>
      receiver.spans.find((span) => span.name === 'archive upload' && span.links.some((link) => link.spanId === answered.spanId));
    assert.ok(
      await eventually(async () => spanWith(answered.spanId) !== undefined && upload() !== undefined, 10_000),
      `spans arrive: ${JSON.stringify(receiver.spans.map((span) => [span.name, span.traceId, span.spanId, span.links]))}`,
    );

    const server = spanWith(answered.spanId)!;
    assert.equal(server.name, 'POST /api/warranties');
    assert.equal(server.kind, SERVER);
    assert.equal(server.traceId, traceId);
    assert.equal(server.parentSpanId, callerSpanId);
    assert.equal(server.attributes['http.route'], '/api/warranties');
    assert.equal(server.resource['service.name'], 'warranty-service');

    const inTrace = receiver.spans.filter((span) => span.traceId === traceId);
    const statements = inTrace.filter((span) => span.scope === '@opentelemetry/instrumentation-pg' && span.name.startsWith('pg.query'));
    assert.ok(statements.length >= 3, `PostgreSQL statements (BEGIN … COMMIT): ${inTrace.map((span) => span.name).join(', ')}`);
    const group = inTrace.find((span) => span.name === 'group commit');
    assert.ok(group, 'its transaction is a span in its trace');
    assert.deepEqual(group.links, [{ traceId, spanId: answered.spanId }], 'linked to the request');
    assert.ok(
      statements.some((span) => span.parentSpanId === group.spanId && span.name.includes('COMMIT')),
      'COMMIT inside it',
    );

    const archived = upload()!;
    assert.notEqual(archived.traceId, traceId, 'the upload is a trace of its own');
    assert.equal(archived.parentSpanId, '');
    assert.deepEqual(archived.links, [{ traceId, spanId: answered.spanId }]);
    assert.ok(
      await eventually(async () =>
        receiver.spans.some((span) => span.parentSpanId === archived.spanId && span.scope === '@opentelemetry/instrumentation-aws-sdk'),
      ),
      'the S3 call is a span inside the upload',
    );
    const s3 = receiver.spans.find(
      (span) => span.parentSpanId === archived.spanId && span.scope === '@opentelemetry/instrumentation-aws-sdk',
    )!;
    assert.equal(s3.name, 'S3.PutObject');

    assert.ok(receiver.contentTypes.length > 0 && receiver.contentTypes.every((type) => type === 'application/x-protobuf'));

    assert.ok(await eventually(async () => logLines(protobuf.output()).some((line) => line.request_id === requestId), 5000));
    const lines = logLines(protobuf.output()).filter((line) => line.request_id === requestId);
    assert.ok(
      lines.some((line) => line.message === 'request'),
      'its access line',
    );
    for (const line of lines) assert.equal(line.trace_id, traceId, JSON.stringify(line));
  });

  it('single POSTs saved together: one transaction span of its own, linked to each member request', async () => {
    let group: ReceivedSpan | undefined;
    let requestSpans = new Set<string>();
    // Twelve POSTs at once behind one write slot: all but the first wait and are saved in groups.
    for (let round = 0; round < 5 && !group; round++) {
      const replies = await Promise.all(
        Array.from({ length: 12 }, (_, i) => post(protobuf.url, { ...SEED_PAYLOAD, item_sku: `group-${round}-${i}-${hex(3)}` })),
      );
      requestSpans = new Set(replies.map((reply) => answeredSpan(reply).spanId));
      const linksRequests = (span: ReceivedSpan) => span.links.length > 1 && span.links.every((link) => requestSpans.has(link.spanId));
      await eventually(async () => [...requestSpans].every((spanId) => spanWith(spanId)), 10_000);
      await eventually(async () => receiver.spans.some(linksRequests), 2000);
      group = receiver.spans.find((span) => span.name === 'group commit' && linksRequests(span));
    }
    assert.ok(group, 'a group commit of several POSTs');
    assert.equal(group.parentSpanId, '', 'a trace of its own');
    assert.equal(Number(group.attributes['group_commit.size']), group.links.length, 'one link per member');
    for (const link of group.links) assert.equal(link.traceId, spanWith(link.spanId)!.traceId);
    assert.ok(
      receiver.spans.some((span) => span.traceId === group.traceId && span.name.startsWith('pg.query')),
      'its statements are in its trace',
    );
  });

  it('http/json, OTEL_SERVICE_NAME and OTEL_TRACES_SAMPLER are honoured, in cluster workers too', async () => {
    const unsampled = await send(json.url, '/api/warranties?limit=1');
    assert.equal(unsampled.status, 200);
    assert.equal(answeredSpan(unsampled).sampled, false, 'parentbased_always_off: a request without a sampled parent is not recorded');

    const traceId = hex(16);
    const sampled = await send(json.url, '/api/warranties?limit=1', { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
    assert.equal(sampled.status, 200);
    const answered = answeredSpan(sampled);
    assert.ok(answered.sampled);
    assert.ok(await eventually(async () => spanWith(answered.spanId) !== undefined, 10_000), 'the sampled request arrives');
    const server = spanWith(answered.spanId)!;
    assert.equal(server.name, 'GET /api/warranties');
    assert.equal(server.resource['service.name'], 'warranty-traces-test');
    assert.notEqual(String(server.resource['process.pid']), String(json.child.pid), 'served by a cluster worker');
    assert.ok(receiver.contentTypes.includes('application/json'));
    assert.ok(!receiver.spans.some((span) => span.traceId === answeredSpan(unsampled).traceId), 'nothing of the unsampled one');
  });

  it('spans are named by route template as metrics and logs are, refused requests too; unmatched paths by method alone', async () => {
    const refused = await post(protobuf.url, SEED_PAYLOAD, { authorization: '' });
    assert.equal(refused.status, 401);
    const unmatched = await send(protobuf.url, `/no-such-path/${hex(4)}`);
    assert.equal(unmatched.status, 404);
    const [refusedSpan, unmatchedSpan] = [answeredSpan(refused).spanId, answeredSpan(unmatched).spanId];
    assert.ok(await eventually(async () => spanWith(refusedSpan) !== undefined && spanWith(unmatchedSpan) !== undefined, 10_000));
    assert.equal(spanWith(refusedSpan)!.name, 'POST /api/warranties');
    assert.equal(spanWith(unmatchedSpan)!.name, 'GET');
  });

  it('without an OTLP endpoint: no traceparent, and neither the SDK nor an instrumentation nor a module hook is loaded', async () => {
    const reply = await post(untraced.url, { ...SEED_PAYLOAD, item_sku: `untraced-${hex(4)}` });
    assert.equal(reply.status, 201);
    assert.equal(reply.headers.get('traceparent'), null);
    assert.ok(!logLines(untraced.output()).some((line) => 'trace_id' in line));
    assert.doesNotMatch(untraced.errors(), /OPENTELEMETRY LOADED/);
  });
});
