/**
 * What the service asks of tracing (docs/contract/operations.md, Tracing). This file loads nothing of
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
