import type { NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { HttpMetrics } from '../metrics/http-metrics.js';
import { tracing } from '../tracing/tracing.js';
import { REQUEST_ID_HEADER, requestIdFrom, type RequestWithContext } from './request-context.js';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  match(path: string): unknown;
}

/** The route label of a path that belongs to no route (bounded cardinality). */
export const UNMATCHED = 'unmatched';

/** Route templates already found, per request: the metrics and the access line both ask, when it finishes. */
const templates = new WeakMap<object, string>();

/**
 * The route template a request belongs to. Express knows it (`request.route`) only when a route
 * handler ran; a request refused before that — a body the JSON parser rejected (400/413/415) — is
 * looked up in the router's own table, so it is still counted under its route. Routes with a
 * wildcard (middleware mounts) never name one; unknown paths stay "unmatched" (bounded cardinality).
 */
function findRouteTemplate(request: RequestWithContext): string {
  const matched = (request.route as { path?: string } | undefined)?.path;
  if (matched && !matched.includes('*')) return `${request.baseUrl}${matched}`;
  if (!request.app) return UNMATCHED; // answered before Express saw it
  const stack = (request.app as unknown as { router?: { stack?: RouteLayer[] } }).router?.stack ?? [];
  const method = request.method.toLowerCase();
  const layer = stack.find((candidate) => {
    const route = candidate.route;
    if (!route || route.path.includes('*') || !(route.methods[method] || route.methods._all)) return false;
    try {
      return candidate.match(request.path);
    } catch {
      return false; // a path Express cannot decode (e.g. "%ff") belongs to no route
    }
  });
  return layer?.route?.path ?? UNMATCHED;
}

export function routeTemplate(request: RequestWithContext): string {
  let template = templates.get(request);
  if (template === undefined) {
    template = findRouteTemplate(request);
    templates.set(request, template);
  }
  return template;
}

/**
 * Gives every request an id (echoed in X-Request-Id; pino-http's access line and every log line of
 * the request carry it, see logging.ts), then measures it when it finishes. With tracing on, the
 * answer carries the request span's `traceparent` and the span is named by route template.
 */
export class RequestContextMiddleware implements NestMiddleware {
  constructor(private readonly metrics: HttpMetrics) {}

  use(request: RequestWithContext, response: Response, next: NextFunction): void {
    const started = performance.now();
    request.requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
    request.receivedAt = new Date();
    response.setHeader('X-Request-Id', request.requestId);
    const traced = tracing?.requestStarted(response);
    response.once('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      const route = routeTemplate(request);
      this.metrics.observe(request.method, route, response.statusCode, seconds);
      traced?.(route === UNMATCHED ? undefined : route);
    });
    next();
  }
}
