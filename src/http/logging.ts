import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import type { LogLevelName } from '../config/app-config.js';
import { errorCodeOf } from './error-body.js';
import { prettyStream, type LogFormat } from '../common/log-format.js';
import { requestIdFrom, REQUEST_ID_HEADER, type RequestWithContext } from './request-context.js';
import { routeTemplate } from './request-context.middleware.js';

/** Health and metrics polls: their successful answers are logged at debug, not info. */
const QUIET_PATHS = /^\/(health\/|metrics)/;

/**
 * One JSON object per line on stdout, as log tooling expects it: standard level names
 * (`"level":"info"`), ISO time, the text under `message`, every other field at the top level.
 */
export function pinoOptions(level: LogLevelName): LoggerOptions {
  return {
    level,
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** For the lines server.ts writes before (or outside) the Nest application. */
export function createLogger(level: LogLevelName, format: LogFormat = 'json'): PinoLogger {
  return format === 'pretty' ? pino(pinoOptions(level), prettyStream()) : pino(pinoOptions(level));
}

/** Nest's own start-up chatter (modules initialised, routes mapped, application started): useful when debugging, noise otherwise. */
const STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/** The application's logger as Nest uses it, with Nest's start-up chatter at debug instead of info. */
export function nestLogger(logger: LoggerService): LoggerService {
  const quiet = (context: unknown) => typeof context === 'string' && STARTUP_CONTEXTS.has(context);
  return {
    log: (message, ...params) => (quiet(params.at(-1)) ? logger.debug?.(message, ...params) : logger.log(message, ...params)),
    error: (message, ...params) => logger.error(message, ...params),
    warn: (message, ...params) => logger.warn(message, ...params),
    debug: (message, ...params) => logger.debug?.(message, ...params),
    verbose: (message, ...params) => logger.verbose?.(message, ...params),
    fatal: (message, ...params) => logger.fatal?.(message, ...params),
  };
}

type Request = IncomingMessage & {
  requestId?: string;
  /** Left by the access gate (src/access/) on a request whose key it verified: never the key, only its public parts. */
  caller?: { keyPrefix: string; storeUuid?: string };
};

/**
 * The access line's fields: request id (bound by pino-http), method, route template, status,
 * duration; the key's public prefix and, for a store key, its store; an error answer's code.
 */
function accessLine(request: Request, response: ServerResponse, fields: Record<string, unknown>) {
  return {
    method: request.method,
    route: routeTemplate(request as RequestWithContext),
    status: response.statusCode,
    duration_ms: fields.duration_ms,
    key_prefix: request.caller?.keyPrefix,
    store_uuid: request.caller?.storeUuid,
    code: errorCodeOf(response),
  };
}

/**
 * nestjs-pino's settings: Nest's own logs and every `new Logger(…)` go through pino; pino-http writes
 * one access line per request and binds `request_id` (our X-Request-Id, set by RequestContextMiddleware,
 * which runs first) to every line logged while the request is served. 5xx answers are logged at
 * error, 503 (an expected outage, logged once by DatabaseOutage) and 4xx at warn, polls of
 * health and metrics at debug.
 */
export function loggerParams(level: LogLevelName, format: LogFormat = 'json'): Params {
  const options = {
    ...pinoOptions(level),
    genReqId: (request: IncomingMessage) => (request as Request).requestId ?? requestIdFrom(request.headers[REQUEST_ID_HEADER]),
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
    // pino-http binds the whole request to a second child logger per request (serialized and stringified
    // eagerly) that quietReqLogger/quietResLogger never use, and our access line names its own fields:
    // no req serializer, so that child costs nothing. `err` keeps pino's standard serializer.
    wrapSerializers: false,
    serializers: { req: () => undefined },
    customLogLevel: (request: IncomingMessage, response: ServerResponse, error?: Error) => {
      if (response.statusCode === 503) return 'warn';
      if (error || response.statusCode >= 500) return 'error';
      if (response.statusCode >= 400) return 'warn';
      return QUIET_PATHS.test(request.url ?? '') ? 'debug' : 'info';
    },
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request',
    customSuccessObject: accessLine,
    customErrorObject: (request: IncomingMessage, response: ServerResponse, _error: Error, fields: Record<string, unknown>) =>
      accessLine(request, response, fields),
  };
  return { pinoHttp: format === 'pretty' ? [options, prettyStream()] : options };
}
