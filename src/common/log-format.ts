import { createRequire } from 'node:module';
import type { DestinationStream } from 'pino';

export type LogFormat = 'json' | 'pretty';
/** LOG_FORMAT: `auto` (the default) is pretty on a terminal outside production, JSON otherwise. */
export const LOG_FORMAT_SETTINGS = ['auto', 'json', 'pretty'] as const;
export type LogFormatSetting = (typeof LOG_FORMAT_SETTINGS)[number];

const require = createRequire(import.meta.url);

/** pino-pretty is a development dependency: a production install (npm ci --omit=dev) has none. */
export function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** What `auto` means here: a person at a terminal, in development, with pino-pretty installed. */
export function resolveLogFormat(setting: LogFormatSetting, production: boolean, terminal = process.stdout.isTTY === true): LogFormat {
  if (setting !== 'auto') return setting;
  return terminal && !production && prettyAvailable() ? 'pretty' : 'json';
}

/** LOG_FORMAT as given, or `auto` when it is not one of ours (the configuration reports that). */
export function logFormatFrom(env: NodeJS.ProcessEnv): LogFormat {
  const raw = env.LOG_FORMAT?.trim().toLowerCase() ?? '';
  const setting = (LOG_FORMAT_SETTINGS as readonly string[]).includes(raw) ? (raw as LogFormatSetting) : 'auto';
  if (setting === 'pretty' && !prettyAvailable()) return 'json';
  return resolveLogFormat(setting, env.NODE_ENV?.trim() === 'production');
}

interface PrettyLine {
  message?: string;
  context?: string;
  method?: string;
  route?: string;
  status?: number;
  duration_ms?: number;
}

/** One line per entry: time, level, `[context] message` (an access line as `POST /api/warranties 201 12 ms`), the other fields inline. */
function messageFormat(line: PrettyLine): string {
  const text =
    line.message === 'request' && line.method ? `${line.method} ${line.route} ${line.status} ${line.duration_ms} ms` : line.message;
  return line.context ? `[${line.context}] ${text}` : (text ?? '');
}

/** pino-pretty as a synchronous stream in this process (loaded only when the pretty format is chosen). */
export function prettyStream(): DestinationStream {
  const pretty = require('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
  return pretty({
    sync: true, // nothing lost when the process exits right after a line (a failed start-up)
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    messageKey: 'message',
    messageFormat,
    ignore: 'pid,hostname,context,method,route,status,duration_ms',
  });
}
