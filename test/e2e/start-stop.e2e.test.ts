/**
 * `npm start` as a user runs it (issue 8 items 6, 7, 12): SIGTERM to the npm process stops the service;
 * Ctrl-C (SIGINT to the whole process group) lets the service drain before the embedded PostgreSQL
 * stops; a failed embedded start names its cause. `npm start` builds, so it runs in a scratch copy of
 * the project (sources, configs, node_modules linked) rather than rebuilding the dist/ the tests run from.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freePort } from '../../src/common/free-port.js';
import { pidAlive, startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import { createDatabase, eventually, lockWaiters, SEED_PAYLOAD, sleep } from '../support/test-env.js';
import { post } from '../../harness/http-client.js';

/** The project root (this file runs from dist/test/e2e). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Processes working in `folder` (Linux /proc): npm, the service, its workers, PostgreSQL — what must be gone after a stop. */
function processesUnder(folder: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(folder)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function jsonFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.json'));
}

/** The exit code (or signal), or a note that it is still running after `ms`. */
async function exitWithin(service: ServiceProcess, ms = 30_000): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`still running after ${ms / 1000} s`), ms)));
  try {
    return await Promise.race([service.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function timedExit(service: ServiceProcess, signalIt: () => void): Promise<{ code: number | string; ms: number }> {
  const started = performance.now();
  signalIt();
  const code = await exitWithin(service);
  return { code, ms: Math.round(performance.now() - started) };
}

describe('npm start: signals and start-up failures (processes)', () => {
  let scratch: string;
  let dataDir: string;
  let pgPort: number;
  const running: ServiceProcess[] = [];

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'warranty-npm-start-'));
    chmodSync(scratch, 0o755); // PostgreSQL runs as its own user and must reach its folder
    for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) copyFileSync(join(ROOT, file), join(scratch, file));
    for (const folder of ['src', 'migrations']) cpSync(join(ROOT, folder), join(scratch, folder), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'));
    dataDir = join(scratch, '.data');
  });

  after(async () => {
    for (const service of running) if (service.child.exitCode === null) process.kill(-service.child.pid!, 'SIGKILL');
    for (const pid of processesUnder(scratch)) process.kill(pid, 'SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  /** `npm <args>` in the scratch copy, in its own process group (as a terminal job), ready when /health/ready is 200. */
  async function npm(args: string[], env: Record<string, string>): Promise<ServiceProcess> {
    const service = await startServiceProcess(
      { LOG_LEVEL: 'error', WEB_CONCURRENCY: '2', SHUTDOWN_DELAY_MS: '0', ...env },
      { command: ['npm', ...args], cwd: scratch, detached: true, inherit: 'basics', readyTimeoutMs: 120_000 },
    );
    running.push(service);
    return service;
  }

  for (const args of [['start'], ['run', 'start:prod']]) {
    it(`SIGTERM to the \`npm ${args.join(' ')}\` process stops the service (item 7)`, async (t) => {
      const service = await npm(args, { DATABASE_URL: await createDatabase() });
      assert.ok(processesUnder(scratch).length >= 3, 'npm, the primary and its workers run');
      const { code, ms } = await timedExit(service, () => service.child.kill('SIGTERM'));
      t.diagnostic(`npm ${args.join(' ')}: SIGTERM to npm (pid ${service.child.pid}) → exit ${code} after ${ms} ms`);
      assert.equal(code, 0, `npm exits 0 once the service has stopped (${ms} ms)\n${service.tail()}`);
      const left = await eventually(async () => processesUnder(scratch).length === 0, 5000);
      assert.ok(left, `no service process is left: ${processesUnder(scratch).join(', ')}`);
      await assert.rejects(fetch(`${service.url}/health/live`), 'nothing listens any more');
    });
  }

  it('Ctrl-C on `npm start` (SIGINT to the process group): in-flight requests finish, the archive drains, the embedded PostgreSQL stops last (item 6)', async (t) => {
    pgPort = await freePort();
    // A write slot for each of the eight re-sends in either worker, so that all eight wait inside PostgreSQL (POSTs
    // queued for a slot at SIGTERM: write-coalescing.e2e).
    const service = await npm(['start'], {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      DB_STATEMENT_TIMEOUT_MS: '30000',
      DB_WRITE_GROUPS: '8',
    });
    const url = `postgresql://postgres:postgres@127.0.0.1:${pgPort}/warranty`;
    const locker = new pg.Client({ connectionString: url });
    const watcher = new pg.Client({ connectionString: url });
    for (const client of [locker, watcher]) client.on('error', () => undefined);
    try {
      const skus = Array.from({ length: 8 }, (_, i) => `ctrl-c-${i}`);
      for (const sku of skus) assert.equal((await post(service.url, { ...SEED_PAYLOAD, item_sku: sku })).status, 201);

      // Hold the items' rows, so that re-sends of them are in flight (waiting on the lock) when Ctrl-C comes.
      await locker.connect();
      await watcher.connect();
      await locker.query('BEGIN');
      await locker.query(`SELECT id FROM item WHERE sku = ANY($1) FOR UPDATE`, [skus]);
      const inFlight = skus.map((sku) =>
        post(service.url, { ...SEED_PAYLOAD, item_sku: sku, item_cost: 200 }).then(
          (reply) => reply.status,
          (error: Error) => error.message,
        ),
      );
      // (A separate client: inside the locker's transaction pg_stat_activity would be one frozen snapshot.)
      const waiting = await eventually(async () => (await lockWaiters(watcher)) === skus.length, 10_000);
      assert.ok(waiting, 'all re-sends wait on the row locks');
      const pgPid = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

      const started = performance.now();
      process.kill(-service.child.pid!, 'SIGINT'); // what the terminal does on Ctrl-C
      await sleep(1000);
      const stillUp = await watcher.query('SELECT 1 AS one').then(
        () => true,
        () => false,
      );
      assert.ok(stillUp, 'the embedded PostgreSQL still answers 1 s after Ctrl-C, while requests are in flight');
      await locker.query('COMMIT');
      const statuses = await Promise.all(inFlight);
      const code = await exitWithin(service);
      const ms = Math.round(performance.now() - started);
      t.diagnostic(`Ctrl-C with ${skus.length} POSTs in flight: statuses ${statuses.join(',')}; exit ${code} ${ms} ms after Ctrl-C`);
      assert.deepEqual(
        statuses,
        skus.map(() => 200),
        'every in-flight request was answered, none with 503',
      );
      assert.equal(code, 0, service.tail());
      assert.equal(jsonFiles(join(dataDir, 'archive')).length, skus.length * 2, 'every accepted POST was archived before the exit');
      assert.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'PostgreSQL stopped');
      assert.equal(pidAlive(pgPid), false, `PostgreSQL (pid ${pgPid}) is gone`);
      assert.deepEqual(processesUnder(scratch), [], 'nothing is left running');
    } finally {
      for (const client of [locker, watcher]) await client.end().catch(() => undefined);
      // On failure, leave nothing behind for the tests that reuse the data folder.
      for (const pid of processesUnder(scratch)) process.kill(pid, 'SIGKILL');
      await eventually(async () => !existsSync(join(dataDir, 'postgres', 'postmaster.pid')) || processesUnder(scratch).length === 0, 5000);
    }
  });

  describe('a failed embedded start names its cause and exits 1 (item 12)', () => {
    const embeddedEnv = (port: number) => ({
      DATABASE_URL: '',
      S3_BUCKET: '',
      S3_ENDPOINT: '',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(port),
      WEB_CONCURRENCY: '1',
      LOG_LEVEL: 'error',
    });

    it('the port is already taken by another program', async () => {
      const port = await freePort();
      const squatter: Server = createServer();
      await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
      try {
        await assert.rejects(startServiceProcess(embeddedEnv(port), { inherit: 'basics' }), (error: Error) => {
          assert.match(error.message, /exit code 1/);
          assert.match(error.message, new RegExp(`port ${port} is already in use by another program`));
          assert.ok(error.message.includes(join(dataDir, 'postgres')), `names the data folder: ${error.message}`);
          return true;
        });
      } finally {
        squatter.close();
      }
    });

    it('PostgreSQL exits during start-up: its own last lines, the port and the data folder are in the error', async () => {
      assert.ok(existsSync(join(dataDir, 'postgres', 'PG_VERSION')), 'the data folder of the Ctrl-C test');
      appendFileSync(join(dataDir, 'postgres', 'postgresql.conf'), '\nshared_buffers = banana\n');
      await assert.rejects(startServiceProcess(embeddedEnv(pgPort), { inherit: 'basics' }), (error: Error) => {
        assert.match(error.message, /exit code 1/);
        assert.match(error.message, /PostgreSQL exited during start-up/);
        assert.match(error.message, /invalid value for parameter "shared_buffers"/, 'PostgreSQL’s own words');
        assert.match(error.message, new RegExp(`port ${pgPort}`));
        assert.ok(error.message.includes(join(dataDir, 'postgres')), `names the data folder: ${error.message}`);
        assert.doesNotMatch(error.message, /"error":"undefined"/);
        return true;
      });
    });
  });
});
