import type { LoggerService } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import type { LogLevelName } from '../config/app-config.js';
import { prettyStream, type LogFormat } from '../common/log-format.js';
import { requestIds } from './request-context.js';

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
    // Computed only for a line that is written: the request it was written for, if any.
    mixin: () => {
      const requestId = requestIds.getStore();
      return requestId === undefined ? {} : { request_id: requestId };
    },
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

/**
 * nestjs-pino's settings: Nest's own logs and every `new Logger(…)` go through pino. Its request
 * middleware (pino-http) is mounted on no route: the access line is written by RequestContextMiddleware
 * (access-log.ts), and `request_id` reaches every line logged while a request is served through
 * pinoOptions' mixin — measured, pino-http cost 8–11 % of a GET's CPU with its lines off.
 */
export function loggerParams(level: LogLevelName, format: LogFormat = 'json'): Params {
  const options = pinoOptions(level);
  return { pinoHttp: format === 'pretty' ? [options, prettyStream()] : options, forRoutes: [] };
}
