import { rmSync } from 'node:fs';
import type { RunningPostgres } from '../src/database/embedded-postgres.js';
import { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from '../harness/service-process.js';
import type { OtlpReceiver } from '../harness/otlp-receiver.js';
import type { RunningS3 } from './archive-drain.js';
import type { ChildRun } from './child-protocol.js';
import { findPostmaster, signalDescendants } from './proc-tree.js';
import { ProgressLine } from './progress.js';
import { withTimeout } from './with-timeout.js';

/**
 * What one benchmark run holds (temp folder, PostgreSQL, the service, the floor, s3rver, the measuring child)
 * and its clean-up on every way out: the end, a failure, Ctrl-C, the watchdog.
 */

export const progress = new ProgressLine();
export const say = (line = '') => progress.log(line);

export const session: {
  scratch?: string;
  postgres?: RunningPostgres;
  service?: ServiceProcess;
  /** The floor app (bench/floor), while its rows run. */
  floor?: ServiceProcess;
  s3?: RunningS3;
  /** The OTLP receiver of the tracing variant (--tracing). */
  otlp?: OtlpReceiver;
  activeChild?: ChildRun<unknown>;
  /** Set on Ctrl-C: the run stops starting things and stays quiet about the failures the shutdown causes. */
  interrupted: boolean;
} = { interrupted: false };

let cleaning: Promise<void> | undefined;

/** Load → service → PostgreSQL → temp folder, each step bounded in time. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    session.activeChild?.kill();
    // Short grace: after Ctrl-C PostgreSQL is usually gone already, and the service's own drain would only wait on it.
    await withTimeout(session.service?.stop('SIGTERM', 5_000) ?? Promise.resolve(0), 10_000, 'stopping the service').catch(() => undefined);
    await withTimeout(session.floor?.stop('SIGTERM', 2_000) ?? Promise.resolve(0), 5_000, 'stopping the floor').catch(() => undefined);
    await withTimeout(session.s3?.stop() ?? Promise.resolve(), 5_000, 'stopping s3rver').catch(() => undefined);
    await withTimeout(session.otlp?.close() ?? Promise.resolve(), 5_000, 'stopping the OTLP receiver').catch(() => undefined);
    // On Ctrl-C PostgreSQL got the signal too and may be gone already (then stop() would wait for nothing).
    if (findPostmaster() !== undefined)
      await withTimeout(session.postgres?.stop() ?? Promise.resolve(), 20_000, 'stopping PostgreSQL').catch(() => undefined);
    signalDescendants('SIGKILL');
    if (session.scratch) rmSync(session.scratch, { recursive: true, force: true });
    session.scratch = undefined;
  })();
  return cleaning;
}

export function installExitHandlers(): void {
  // This script owns the shutdown order (load, service, then database); startEmbeddedPostgres keeps
  // embedded-postgres's own exit hooks out of the way. A second signal kills everything at once.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (cleaning) {
        signalDescendants('SIGKILL');
        process.exit(130);
      }
      session.interrupted = true;
      progress.clear();
      say(`\n${signal}: stopping the load, the service and PostgreSQL, removing temp folders…`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  // Last resort (uncaught error, process.exit elsewhere): nothing may outlive the benchmark.
  process.on('exit', () => {
    signalDescendants('SIGKILL');
    if (session.scratch) rmSync(session.scratch, { recursive: true, force: true });
  });
}

/** The service as a child process, held by the session (stopped on every way out). */
export async function startService(env: Record<string, string>, options: ServiceProcessOptions): Promise<ServiceProcess> {
  session.service = await startServiceProcess(env, options);
  return session.service;
}

/** Stops the session's service; its last output when it did not exit cleanly. */
export async function stopService(): Promise<void> {
  const service = session.service;
  if (!service) return;
  progress.update('stopping the service');
  const code = await service.stop('SIGTERM', 20_000);
  if (code !== 0 && !session.interrupted) say(`  the service exited with ${code}; its last output:\n${service.tail()}`);
  session.service = undefined;
}
