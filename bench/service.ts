import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/free-port.js';

/** The compiled service entry point, next to this file's compiled folder (dist/bench → dist/src). */
export const MAIN_SCRIPT = fileURLToPath(new URL('../src/main.js', import.meta.url));

export interface RunningService {
  url: string;
  pid: number;
  /** The last lines the service printed (LOG_LEVEL=warn: warnings, errors, start-up). */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string>;
}

const TAIL_LINES = 40;

/**
 * Starts `node dist/src/main.js` as in production, on 127.0.0.1 and a free port, and waits for
 * /health/ready. Only `env` (plus PATH/HOME/locale) reaches it: no stray DATABASE_URL or S3_* from the caller's shell.
 */
export async function startService(options: {
  env: Record<string, string>;
  nodeArgs?: string[];
  readyTimeoutMs: number;
  /** Another build's entry point (bench --compare-build); default: this checkout's. */
  mainScript?: string;
}): Promise<RunningService> {
  const port = await freePort();
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'].includes(name)),
  );
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), options.mainScript ?? MAIN_SCRIPT], {
    env: { ...inherited, NODE_ENV: 'production', ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lines: string[] = [];
  const keep = (chunk: Buffer) =>
    (lines = [
      ...lines,
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line.trim() !== ''),
    ].slice(-TAIL_LINES));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const tail = () => lines.join('\n');
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the service exited during start-up:\n${tail()}`);
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service was not ready after ${options.readyTimeoutMs / 1000} s:\n${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    url,
    pid: child.pid!,
    tail,
    stop: async (graceMs = 20_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
