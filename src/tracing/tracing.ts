import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { Tracing } from './tracing-types.js';

/** Off unless configured: see tracing-types.ts. */
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
