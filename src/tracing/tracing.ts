import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * What the service asks of tracing (SPEC, Operations: Tracing). This file loads nothing of
 * OpenTelemetry: `tracing` stays undefined unless OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, so with tracing off a call site costs one property read
 * (`tracing?.…`). When it is set, main.ts starts ./opentelemetry.ts before the service is loaded.
 */
export interface Tracing {
  /** At the start of a request: answers its span's `traceparent`; the callback names the span by route template when it ends. */
  requestStarted(response: { setHeader(name: string, value: string): unknown }): (route: string | undefined) => void;
  /** The current span, to be linked to later (a member of a group commit, a record uploaded after the answer). */
  capture(): TraceOrigin | undefined;
  /** Runs a group commit's transaction as one span linked to each member's request. */
  inGroupSpan<T>(name: string, members: readonly (TraceOrigin | undefined)[], work: () => Promise<T>): Promise<T>;
  /** Runs work that happens after the answer (an upload) as a trace of its own, linked to the request's. */
  inLinkedTrace<T>(
    name: string,
    origin: TraceOrigin | undefined,
    attributes: Record<string, string | number>,
    work: () => Promise<T>,
  ): Promise<T>;
  /** Sends the spans still buffered and stops (the last step of a shutdown). */
  shutdown(): Promise<void>;
}

/** A span to link to: opaque outside the tracing implementation. */
export interface TraceOrigin {
  readonly traceOrigin: unknown;
}

/** Set once, by ./opentelemetry.ts, when tracing is on. */
export let tracing: Tracing | undefined;

export function installTracing(implementation: Tracing): void {
  tracing = implementation;
}

/** The variables that turn tracing on (README, "Tracing"): any OTLP traces endpoint. */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  const set = (name: string) => (env[name]?.trim() ?? '') !== '';
  return (set('OTEL_EXPORTER_OTLP_ENDPOINT') || set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')) && env.OTEL_SDK_DISABLED?.trim() !== 'true';
}

/**
 * The `.env` file is read by the configuration module, after the service is loaded: too late for
 * tracing, which must start first. Its OTEL_* variables are read here (the environment still wins).
 */
function otelVariablesFromDotEnv(env: NodeJS.ProcessEnv): void {
  let text: string;
  try {
    text = readFileSync('.env', 'utf8');
  } catch {
    return;
  }
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (name.startsWith('OTEL_') && value?.trim() && env[name] === undefined) env[name] = value;
  }
}

/**
 * Called by main.ts before anything else is loaded: with tracing configured, starts OpenTelemetry and
 * its module hooks, so that pg, express, pino and the AWS SDK are instrumented when the service loads them.
 */
export async function startTracingIfConfigured(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  otelVariablesFromDotEnv(env);
  if (!tracingConfigured(env)) return;
  const { startOpenTelemetry } = await import('./opentelemetry.js');
  installTracing(await startOpenTelemetry());
}
