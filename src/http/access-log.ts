import type { ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';
import { errorCodeOf } from './error-body.js';
import type { RequestWithContext } from './request-context.js';

/** Health and metrics polls: their successful answers are logged at debug, not info. */
const QUIET_PATHS = /^\/(health\/|metrics)/;

/** Left by the access gate (src/access/) on a request whose key it verified: never the key, only its public parts. */
type RequestWithCaller = RequestWithContext & { caller?: { keyPrefix: string; storeUuid?: string } };

/**
 * 503 (an expected outage, logged once by DatabaseOutage) and 4xx at warn, other 5xx at error,
 * polls of health and metrics at debug, the rest at info.
 */
function levelOf(request: RequestWithContext, response: ServerResponse): Level {
  const status = response.statusCode;
  if (status === 503 || (status >= 400 && status < 500)) return 'warn';
  if (status >= 500) return 'error';
  return QUIET_PATHS.test(request.originalUrl ?? request.url ?? '') ? 'debug' : 'info';
}

/**
 * One access line per request, written when its answer is done (RequestContextMiddleware): request
 * id, method, route template, status, duration; the key's public prefix and, for a store key, its
 * store; an error answer's code. Written here rather than by pino-http's middleware, which builds two
 * child loggers and the line's fields for every request whether or not its level is on (measured: 8–11 %
 * of a GET's CPU at LOG_LEVEL=warn; docs/performance.md).
 */
export class AccessLog {
  constructor(private readonly logger: Logger) {}

  /** `clientLeft`: the connection closed before the answer was sent (its status is then what had been set, if anything). */
  write(request: RequestWithCaller, response: ServerResponse, route: string, durationMs: number, clientLeft = false): void {
    const level = levelOf(request, response);
    if (!this.logger.isLevelEnabled(level)) return;
    this.logger[level](
      {
        request_id: request.requestId,
        method: request.method,
        route,
        status: response.statusCode,
        duration_ms: durationMs,
        key_prefix: request.caller?.keyPrefix,
        store_uuid: request.caller?.storeUuid,
        code: errorCodeOf(response),
        client_left: clientLeft || undefined,
      },
      'request',
    );
  }
}
