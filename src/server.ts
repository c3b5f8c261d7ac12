import 'reflect-metadata';
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { join, relative } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig, logLevelFrom, type AppConfig } from './config/app-config.js';
import { listenProblem } from './common/free-port.js';
import { trackForShutdown } from './http/http-shutdown.js';
import { createLogger } from './http/logging.js';
import { logFormatFrom, type LogFormat } from './common/log-format.js';
import { Draining } from './health/draining.js';
import { serveClusterMetrics } from './metrics/cluster-metrics.js';
import { EmbeddedPostgresError, startEmbeddedPostgres, type RunningPostgres } from './database/embedded-postgres.js';
import { applyMigrations } from './database/migrate.js';
import { settledDatabaseUrl } from './config/database-url.js';
import { DEV_ADMIN_KEY_FILE, ensureDevAdminKey } from './access/dev-admin-key.js';
import { tracing } from './tracing/tracing.js';

// Made before the configuration is read, so that configuration errors are logged too.
const logFormat: LogFormat = logFormatFrom(process.env);
const logger = createLogger(logLevelFrom(process.env.LOG_LEVEL) ?? 'info', logFormat).child({ context: 'Main' });

function log(level: 'log' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  if (level === 'log') logger.info(fields, message);
  else logger.error(fields, message);
}

/** Where a newcomer finds the API and its docs, printed once the port is actually listening. */
function addresses(config: AppConfig): { api: string; docs: string } {
  const host = ['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const base = `http://${host}:${config.port}`;
  return { api: `${base}/api/warranties`, docs: `${base}/docs` };
}

/**
 * On a terminal (the pretty format): where to go next, on plain lines a person can copy — the API, its
 * docs and, on the embedded default, a request with the development key.
 */
function printAddresses(config: AppConfig, devKeyFile: string | undefined): void {
  if (logFormat !== 'pretty') return;
  const { api, docs } = addresses(config);
  const keyFile = devKeyFile && (devKeyFile.startsWith(`${process.cwd()}/`) ? relative(process.cwd(), devKeyFile) : devKeyFile);
  const lines = ['', `  API    ${api}`, `  Docs   ${docs}`];
  if (keyFile) lines.push(`  Try    curl -H "Authorization: Bearer $(cat ${keyFile})" ${api}`);
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

/** A start-up failure whose message is the whole story (no stack trace needed). */
class StartupError extends Error {}

/**
 * Checked before anything is started, so that a clash (another program on PORT, most often) starts no
 * database and no application only to stop them again. Listening can still fail later (the port taken
 * meanwhile): the start-up then fails like any other and stops what it started.
 */
async function checkHttpPort(config: AppConfig): Promise<void> {
  const problem = await listenProblem(config.port, config.host);
  if (!problem) return;
  const where = `port ${config.port} on ${config.host}`;
  throw new StartupError(
    problem.code === 'EADDRINUSE'
      ? `${where} is already in use by another program (another instance of this service?). Stop that program, or set PORT to a free port`
      : `cannot listen on ${where} (${problem.code ?? problem.message}): check PORT and HOST`,
  );
}

/** At most `ms` for `work`, so that a cleanup after a failed start cannot hang the exit. */
async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Serves until SIGTERM/SIGINT: stop accepting, finish in-flight requests, drain the archive, close the pool. */
async function serve(config: AppConfig): Promise<(signal: NodeJS.Signals) => Promise<void>> {
  const app: INestApplication = await createApp(config);
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    // Its pool and timers go before the database they use does (runPrimary stops that next).
    await within(config.shutdownDrainMs, app.close());
    throw error;
  }
  const closeHttp = trackForShutdown(app.getHttpServer() as Server);
  return async (signal) => {
    // SIGTERM (a deploy, an orchestrator): readiness says 503 at once, requests are still served for
    // SHUTDOWN_DELAY_MS so the load balancer stops routing here first. Ctrl-C (SIGINT) skips the wait.
    app.get(Draining).start();
    if (signal === 'SIGTERM' && config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
    await closeHttp(config.shutdownDrainMs);
    await app.close();
  };
}

function onSignal(handler: (signal: NodeJS.Signals) => Promise<void>): void {
  let started = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (started) return;
      started = true;
      log('log', 'shutting down', { signal });
      handler(signal).then(
        async () => {
          log('log', 'stopped');
          // Spans still buffered go out last, within a bound: a collector that is down must not hold the exit.
          await within(2000, tracing?.shutdown() ?? Promise.resolve());
          process.exit(0);
        },
        (error: unknown) => {
          log('error', 'shutdown failed', { error: String(error) });
          process.exit(1);
        },
      );
    });
  }
}

async function runPrimary(config: AppConfig): Promise<void> {
  await checkHttpPort(config);
  let embedded: RunningPostgres | undefined;
  try {
    await startPrimary(config, (started) => (embedded = started));
  } catch (error) {
    // The contract (docs/contract/operations.md): a start-up that fails for any reason stops what it had started, the embedded database included.
    await embedded?.stop().catch(() => undefined); // bounded: a server that ignores the fast shutdown is killed
    throw error;
  }
}

/** Everything a start-up does after the port check; `started` hears of the embedded database as soon as it runs. */
async function startPrimary(config: AppConfig, started: (embedded: RunningPostgres) => void): Promise<void> {
  let embedded: RunningPostgres | undefined;
  let url = config.database.url;
  if (!url) {
    embedded = await startEmbeddedPostgres(join(config.dataDir, 'postgres'), config.database.embeddedPort);
    started(embedded);
    url = embedded.url;
    log('log', 'started embedded PostgreSQL', { data_dir: join(config.dataDir, 'postgres'), port: config.database.embeddedPort });
  }
  // sslmode=prefer/allow settled once, here: workers get the outcome (src/config/database-url.ts).
  const database = await settledDatabaseUrl(url);
  url = database.url;
  log('log', 'database connection', { tls: database.tls });
  const applied = await applyMigrations({ url });
  log('log', 'migrations applied', { applied });
  if (config.tracing.endpoint) log('log', 'tracing on', { ...config.tracing });
  // API keys: on the embedded default only, a development admin key (src/access/dev-admin-key.ts).
  let devKeyFile: string | undefined;
  if (embedded && process.env.NODE_ENV !== 'production') {
    await ensureDevAdminKey(url, config.dataDir, (message, fields) => log('log', message, fields));
    devKeyFile = join(config.dataDir, DEV_ADMIN_KEY_FILE);
  }
  // The application module reads its configuration from the environment, as cluster workers do.
  process.env.DATABASE_URL = url;
  const resolved: AppConfig = { ...config, database: { ...config.database, url } };

  if (config.workers === 1) {
    const stop = await serve(resolved);
    log('log', 'listening', { port: config.port, workers: 1, ...addresses(config) });
    printAddresses(config, devKeyFile);
    onSignal(async (signal) => {
      await stop(signal);
      await embedded?.stop();
    });
    return;
  }

  // Several HTTP workers share the port; the outbox's row leases keep their archive work apart.
  let stopping = false;
  const fork = () => cluster.fork({ DATABASE_URL: url, WARRANTY_WORKER: '1' });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (!listening.has(worker.id)) {
      // A worker that dies before it ever listened will die again: stop instead of looping.
      log('error', 'worker failed during start-up; stopping', { worker_pid: worker.process.pid, code, signal });
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      void (embedded?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
      return;
    }
    log('error', 'worker exited; starting another', { worker_pid: worker.process.pid, code, signal });
    fork();
  });
  const listening = new Set<number>();
  cluster.on('listening', (worker) => {
    listening.add(worker.id);
    if (listening.size !== config.workers) return;
    log('log', 'listening', { port: config.port, workers: config.workers, ...addresses(config) });
    printAddresses(config, devKeyFile);
  });
  serveClusterMetrics();
  for (let i = 0; i < config.workers; i++) fork();
  onSignal(async (signal) => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.process.kill(signal);
          }),
      ),
    );
    await embedded?.stop();
  });
}

async function runWorker(config: AppConfig): Promise<void> {
  if (!config.database.url) throw new Error('worker started without DATABASE_URL');
  const stop = await serve(config);
  onSignal(stop);
}

async function main(): Promise<void> {
  await ConfigModule.envVariablesLoaded; // `.env`, if there is one, is in process.env from here on
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (cluster.isPrimary) await runPrimary(config);
  else await runWorker(config);
}

main().catch((error: unknown) => {
  if (error instanceof EmbeddedPostgresError || error instanceof StartupError) {
    // Its message is the whole story (port, data folder, PostgreSQL's own last lines); also readable on a terminal.
    log('error', 'start-up failed', { error: error.message });
    process.stderr.write(`\nStart-up failed: ${error.message}\n`);
  } else {
    log('error', 'start-up failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
  process.exit(1);
});
