import { ConsoleLogger } from '@nestjs/common';
import { LOG_LEVELS, type LogLevelName } from '../config/app-config.js';

type JsonLogOptions = Parameters<ConsoleLogger['getJsonLogObject']>[1];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Error);

/**
 * One JSON object per line on stdout, at `level` and more severe. Object messages
 * (`logger.log({ message, request_id, … })`) are spread into the line rather than nested,
 * so log search can filter on request_id directly.
 */
export class JsonLogger extends ConsoleLogger {
  constructor(level: LogLevelName) {
    super({ json: true, logLevels: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1) });
  }

  protected override getJsonLogObject(message: unknown, options: JsonLogOptions): ReturnType<ConsoleLogger['getJsonLogObject']> {
    const line = super.getJsonLogObject(message, options);
    if (!isRecord(message)) return line;
    // Framework fields (level, pid, timestamp, context, stack) win on collisions.
    return { ...message, ...line, message: message.message ?? '' };
  }
}
