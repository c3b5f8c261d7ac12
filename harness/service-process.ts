import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after } from 'node:test';
import { DEV_ADMIN_KEY_FILE } from '../src/access/dev-admin-key.js';
import { withApiKeys } from '../src/access/keys-context.js';
import { freePort } from '../src/common/free-port.js';
import { useKey } from './http-client.js';

/** The compiled service entry point, wherever this file was compiled to (dist/harness → dist/src). */
export const MAIN_SCRIPT = fileURLToPath(new URL('../src/main.js', import.meta.url));

/** Output kept per process: plenty for a test's or a benchmark's logs, bounded for a long run. */
const MAX_OUTPUT_CHARS = 1_000_000;

export interface ServiceProcess {
  url: string;
  /** An admin key for it; the HTTP client sends it to `url` by default. */
  adminKey: string;
  child: ChildProcess;
  /** What the process printed on stdout and stderr (the last MAX_OUTPUT_CHARS characters). */
  output(): string;
  /** What it printed on stderr alone (the last MAX_OUTPUT_CHARS characters). */
  errors(): string;
  /** The last `count` non-empty lines it printed. */
  tail(count?: number): string;
  /** Sends `signal` (then SIGKILL after `graceMs`, if given) and resolves with the exit code or signal name. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

export interface ServiceProcessOptions {
  /**
   * What the process inherits from this one's environment: 'all' (tests: the runner's AWS credentials
   * and settings) or 'basics' (PATH, HOME, locale: no stray DATABASE_URL or S3_* from the caller's shell).
   */
  inherit?: 'all' | 'basics';
  nodeArgs?: string[];
  /** Another build's entry point (bench --compare-build); default: this checkout's. */
  mainScript?: string;
  readyTimeoutMs?: number;
  /** Run this instead of `node <mainScript>` (e.g. `['npm', 'start']`), in `cwd`. */
  command?: string[];
  cwd?: string;
  /** In its own process group (as a terminal runs a job), so the test can signal the whole group. */
  detached?: boolean;
  /** Run as this user (the tests run as root; the production image does not). */
  user?: ProcessUser;
  /** The admin key to use (one issued by the command under test); default: one issued for the test. */
  adminKey?: string;
}

/** A user id and group id for a child process (spawn's uid and gid). */
export interface ProcessUser {
  uid: number;
  gid: number;
}

const BASICS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

/**
 * An admin key for a service started with `env`: on DATABASE_URL one issued like `npm run keys` does
 * (ApiKeysService over that database); on the embedded default the development key the service
 * created at start-up (DATA_DIR/dev-admin-key).
 */
async function adminKeyFor(env: Record<string, string>): Promise<string> {
  if (env.DATABASE_URL) return withApiKeys(env.DATABASE_URL, async (keys) => (await keys.issue({ kind: 'admin' })).key);
  return readFileSync(join(resolve(env.DATA_DIR ?? '.data'), DEV_ADMIN_KEY_FILE), 'utf8').trim();
}

/** Service processes for one test file, stopped (and their data folders removed) after it. */
export interface ServiceProcesses {
  /**
   * The environment for a service on the embedded default (no DATABASE_URL, no S3): a data folder of
   * its own and a free port for its embedded PostgreSQL; `extra` on top.
   */
  embeddedEnv(extra?: Record<string, string>): Promise<{ env: Record<string, string>; dataDir: string }>;
  /** startServiceProcess, remembered so that it is stopped after the file's tests. */
  start(env: Record<string, string>): Promise<ServiceProcess>;
}

/** Registers on the enclosing file: services still running at its end get SIGTERM (SIGKILL after 10 s), folders are removed. */
export function serviceProcesses(folderPrefix: string): ServiceProcesses {
  const running: ServiceProcess[] = [];
  const folders: string[] = [];
  after(async () => {
    for (const service of running) await service.stop('SIGTERM', 10_000);
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
  return {
    async embeddedEnv(extra = {}) {
      const dataDir = mkdtempSync(join(tmpdir(), folderPrefix));
      chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user and must reach its folder
      folders.push(dataDir);
      const env = {
        DATABASE_URL: '',
        S3_BUCKET: '',
        S3_ENDPOINT: '',
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
        WEB_CONCURRENCY: '1',
        LOG_LEVEL: 'error',
        ...extra,
      };
      return { env, dataDir };
    },
    async start(env) {
      const service = await startServiceProcess(env);
      running.push(service);
      return service;
    },
  };
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The compiled service (dist/src/main.js) as its own process, as in production, on 127.0.0.1 and a
 * free port; resolves once /health/ready answers 200, rejects (with its output) if it exits first
 * or is not ready in time.
 */
export async function startServiceProcess(env: Record<string, string>, options: ServiceProcessOptions = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const inherited =
    options.inherit === 'basics' ? Object.fromEntries(Object.entries(process.env).filter(([name]) => BASICS.includes(name))) : process.env;
  const [command, ...args] = options.command ?? [process.execPath, ...(options.nodeArgs ?? []), options.mainScript ?? MAIN_SCRIPT];
  const child = spawn(command, args, {
    env: { ...inherited, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
    detached: options.detached,
    ...options.user,
  });
  let output = '';
  let errors = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-MAX_OUTPUT_CHARS)));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const running = () => child.exitCode === null && child.signalCode === null;
  const tail = (count = 40) =>
    output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-count)
      .join('\n');
  const url = `http://127.0.0.1:${port}`;

  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (!running()) {
      const code = await exited;
      throw new Error(`service exited during start-up (${typeof code === 'number' ? `exit code ${code}` : code}):\n${output}`);
    }
    try {
      if ((await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      if (options.detached) process.kill(-child.pid!, 'SIGKILL');
      else child.kill('SIGKILL');
      throw new Error(`service not ready after ${readyTimeoutMs / 1000} s:\n${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const adminKey = options.adminKey ?? (await adminKeyFor(env));
  useKey(url, adminKey);

  return {
    url,
    adminKey,
    child,
    output: () => output,
    errors: () => errors,
    tail,
    exited,
    stop: async (signal = 'SIGTERM', graceMs) => {
      if (!running()) return exited;
      child.kill(signal);
      const timer = graceMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** The JSON log lines in a service's output. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the service's compiled command-line scripts with exactly `env` (plus PATH and HOME), at most 60 s. */
export function runCli(script: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  return runCommand([process.execPath, script, ...args], env);
}

/** Runs `command` with exactly `env` (plus PATH and HOME, unless `env` has its own), at most `timeoutMs` (60 s). */
export function runCommand(
  [command, ...args]: string[],
  env: Record<string, string>,
  options: { cwd?: string; user?: ProcessUser; timeoutMs?: number } = {},
): Promise<CliRun> {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
    ...options.user,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
