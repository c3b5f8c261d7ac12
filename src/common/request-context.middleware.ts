import { Logger, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { HttpMetrics } from '../metrics/http-metrics.js';
import { REQUEST_ID_HEADER, requestIdFrom, type RequestWithContext } from './request-context.js';

const QUIET_PATHS = /^\/(health\/|metrics)/;

/** Gives every request an id (echoed in X-Request-Id), then logs and measures it when it finishes. */
export class RequestContextMiddleware implements NestMiddleware {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly metrics: HttpMetrics) {}

  use(request: RequestWithContext, response: Response, next: NextFunction): void {
    const started = performance.now();
    request.requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
    request.receivedAt = new Date();
    response.setHeader('X-Request-Id', request.requestId);
    response.once('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      const route = (request.route as { path?: string } | undefined)?.path;
      // Requests no controller matched (404s, bodies refused by middleware) share one label.
      const routeLabel = route && !route.includes('*') ? `${request.baseUrl}${route}` : 'unmatched';
      this.metrics.observe(request.method, routeLabel, response.statusCode, seconds);
      const entry = {
        message: 'request',
        request_id: request.requestId,
        method: request.method,
        path: request.path,
        status: response.statusCode,
        duration_ms: Math.round(seconds * 10000) / 10,
      };
      if (response.statusCode < 400 && QUIET_PATHS.test(request.path)) this.logger.verbose(entry);
      else this.logger.log(entry);
    });
    next();
  }
}
