import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import {
  context,
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import type { TraceOrigin, Tracing } from './tracing-types.js';

// Loaded only when tracing is configured (./tracing.ts), before the service's own modules: the loader
// hook and the instrumentations must be in place before pg, express, pino and the AWS SDK are imported.

const SERVICE = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** OpenTelemetry's own complaints (an unreachable collector, mostly), as our JSON log lines, at warn and above. */
function logDiagnostics(): void {
  const line =
    (level: string) =>
    (message: string, ...args: unknown[]) =>
      process.stdout.write(
        `${JSON.stringify({ level, time: new Date().toISOString(), context: 'OpenTelemetry', message: [message, ...args.map(String)].join(' ') })}\n`,
      );
  const logger = { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug'), verbose: line('trace') };
  // OTEL_LOG_LEVEL, when set, is applied by the SDK itself.
  if (!process.env.OTEL_LOG_LEVEL) diag.setLogger(logger, DiagLogLevel.WARN);
}

/** A link to the request's own span (the HTTP server span, not the Express handler's inside it). */
function linkTo(origin: TraceOrigin | undefined): Link[] {
  if (!origin) return [];
  const captured = origin.traceOrigin as Context;
  const span = getRPCMetadata(captured)?.span ?? trace.getSpan(captured);
  return span ? [{ context: span.spanContext() }] : [];
}

/** The W3C header of a span, whatever OTEL_PROPAGATORS says: the contract promises `traceparent`. */
function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

async function inSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

export async function startOpenTelemetry(): Promise<Tracing> {
  logDiagnostics();
  // Only modules an instrumentation asks for go through the hook (the message channel tells the loader which).
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);

  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read by the SDK's resource detectors, win over these.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': SERVICE.name, 'service.version': SERVICE.version })),
    // Traces only: metrics are scraped from /metrics, logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation(),
      // Route handlers only (Nest's routes and its route-mounted middleware: the access gate, the body
      // parser), named by their path; a span per plain middleware would cost more than it tells.
      new ExpressInstrumentation({
        ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER],
        spanNameHook: (info, name) => (info.route ? `handler ${info.route}` : name),
      }),
      // Statements of a request, a group commit or an upload; background polls (outbox sweeps, readiness) make no root spans.
      new PgInstrumentation({ requireParentSpan: true }),
      new AwsInstrumentation({ suppressInternalInstrumentation: true }),
      new PinoInstrumentation({ disableLogSending: true }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  const tracer = trace.getTracer(SERVICE.name, SERVICE.version);

  return {
    requestStarted(response) {
      const active = context.active();
      const span = trace.getSpan(active);
      if (!span) return () => undefined;
      response.setHeader('traceparent', traceparentOf(span));
      const metadata = getRPCMetadata(active);
      return (route) => {
        // The HTTP instrumentation names the span `METHOD route` from this when the response closes.
        if (metadata?.type === RPCType.HTTP) metadata.route = route;
      };
    },
    capture() {
      const active = context.active();
      return trace.getSpan(active) ? { traceOrigin: active } : undefined;
    },
    inGroupSpan(name, members, work) {
      // A lone member's transaction belongs in its request's trace; several members' is a trace of its own.
      const only = members.length === 1 ? (members[0]?.traceOrigin as Context | undefined) : undefined;
      const links = members.flatMap(linkTo);
      const attributes = { 'group_commit.size': members.length };
      return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, links, attributes }, only ?? ROOT_CONTEXT, (span) =>
        inSpan(span, work),
      );
    },
    inLinkedTrace(name, origin, attributes, work) {
      return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, root: true, links: linkTo(origin), attributes }, (span) =>
        inSpan(span, work),
      );
    },
    shutdown: () => sdk.shutdown(),
  };
}
