import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { LogLevelName } from '../config/app-config.js';

const SEVERITY: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Structured JSON lines on stdout, at `level` and more severe. */
export function createLogger(level: LogLevelName): ConsoleLogger {
  return new ConsoleLogger({ json: true, logLevels: SEVERITY.slice(0, SEVERITY.indexOf(level) + 1) });
}
