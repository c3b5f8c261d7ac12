import type { NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { HttpMetrics } from '../metrics/http-metrics.js';
import { tracing } from '../tracing/tracing.js';
import type { AccessLog } from './access-log.js';
import { REQUEST_ID_HEADER, requestIdFrom, requestIds, type RequestWithContext } from './request-context.js';
import { routeTemplate, UNMATCHED } from './route-template.js';

/**
 * Gives every request an id (echoed in X-Request-Id, on every log line written while it is served —
 * logging.ts — and on its access line), then, when its answer is done, measures it and writes its
 * access line. With tracing on, the answer carries the request span's `traceparent` and the span is
 * named by route template.
 */
export class RequestContextMiddleware implements NestMiddleware {
  constructor(
    private readonly metrics: HttpMetrics,
    private readonly accessLog: AccessLog,
  ) {}

  use(request: RequestWithContext, response: Response, next: NextFunction): void {
    const started = performance.now();
    request.requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
    request.receivedAt = new Date();
    response.setHeader('X-Request-Id', request.requestId);
    const traced = tracing?.requestStarted(response);
    response.once('finish', () => {
      const milliseconds = performance.now() - started;
      const route = routeTemplate(request);
      this.metrics.observe(request.method, route, response.statusCode, milliseconds / 1000);
      // On 'finish', so before 'close', where the HTTP instrumentation names the span from this route.
      traced?.(route === UNMATCHED ? undefined : route);
      this.accessLog.write(request, response, route, Math.round(milliseconds));
    });
    // A client that left before its answer was sent: no 'finish', still an access line.
    response.once('close', () => {
      if (!response.writableFinished)
        this.accessLog.write(request, response, routeTemplate(request), Math.round(performance.now() - started), true);
    });
    requestIds.run(request.requestId, next);
  }
}
