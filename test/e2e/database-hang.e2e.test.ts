/**
 * A database that hangs (every PostgreSQL process stopped with SIGSTOP: connections stay open, nothing
 * answers) — issue 8, item 3. A request's worst case is one bound: the acquire wait or the statement
 * timeout (+1 s client margin), not twice that because a ROLLBACK waits over the same dead connection.
 * And only the postmaster stopped (issue 15): open connections still answer, new ones hang.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../src/common/free-port.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/database/embedded-postgres.js';
import { applyMigrations } from '../../src/database/migrate.js';
import { post, send } from '../../harness/http-client.js';
import { logLines, startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import { eventually, SEED_PAYLOAD, serviceEnv, sleep } from '../support/test-env.js';

/** The postmaster and its children: each backend is its own process group (PostgreSQL calls setsid), so they are signalled one by one. */
function postgresProcesses(postmaster: number): number[] {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

function signalPostgres(postmaster: number, signal: NodeJS.Signals): void {
  for (const pid of postgresProcesses(postmaster)) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

const ACQUIRE_MS = 500;
const STATEMENT_MS = 1000;
/** The documented worst case: a pooled connection's statement timeout plus the client's 1 s margin, and some slack for a busy box. */
const BOUND_MS = STATEMENT_MS + 1000 + 800;

describe('database hang (its own PostgreSQL SIGSTOPped: every process, or the postmaster alone)', () => {
  let scratch: string;
  let postgres: RunningPostgres;
  let service: ServiceProcess;
  let postmaster: number;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'warranty-hang-'));
    chmodSync(scratch, 0o755);
    const dataDir = join(scratch, 'postgres');
    postgres = await startEmbeddedPostgres(dataDir, await freePort());
    postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    await applyMigrations({ url: postgres.url });
    service = await startServiceProcess(
      serviceEnv(postgres.url, undefined, {
        DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_MS),
        DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS),
        // The key stays verified, so requests reach their own statements (not the key check).
        API_KEY_CACHE_TTL_MS: '300000',
        LOG_LEVEL: 'info', // the outage's own lines
      }),
    );
    // Warm: the pool holds open connections, as in production.
    for (let i = 0; i < 3; i++) assert.equal((await post(service.url, { ...SEED_PAYLOAD, item_sku: `warm-${i}` })).status, 201);
  });

  after(async () => {
    if (postmaster) signalPostgres(postmaster, 'SIGCONT');
    await service?.stop('SIGTERM', 15_000);
    await postgres?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it(`a POST, a GET and readiness each answer 503 within one bound (${BOUND_MS} ms), and the service recovers`, async (t) => {
    signalPostgres(postmaster, 'SIGSTOP');
    const timings: string[] = [];
    try {
      for (const [what, act] of [
        ['POST', () => post(service.url, { ...SEED_PAYLOAD, item_sku: 'during-hang' }, {}, 20_000)],
        ['GET', () => send(service.url, '/api/warranties?sku=warm-1', { timeoutMs: 20_000 })],
        ['POST again', () => post(service.url, { ...SEED_PAYLOAD, item_sku: 'during-hang-2' }, {}, 20_000)],
        ['readiness', () => send(service.url, '/health/ready', { timeoutMs: 20_000 })],
      ] as const) {
        const started = performance.now();
        const reply = await act();
        const ms = Math.round(performance.now() - started);
        timings.push(`${what} ${reply.status} in ${ms} ms`);
        assert.equal(reply.status, 503, `${what}: ${reply.text}`);
        assert.ok(ms < BOUND_MS, `${what} answered after ${ms} ms (bound ${BOUND_MS} ms)`);
      }
    } finally {
      signalPostgres(postmaster, 'SIGCONT');
    }
    t.diagnostic(`database hang: ${timings.join('; ')}`);
    assert.ok(
      await eventually(async () => (await post(service.url, { ...SEED_PAYLOAD, item_sku: 'after-hang' })).status === 201, 15_000),
      'serves again once the database answers',
    );
  });

  it('only the postmaster stopped (open connections answer, new ones hang): readiness says 503 within one bound, and the log does not call it over', async (t) => {
    // Several open pooled connections, as a service that has been busy has.
    const warm = await Promise.all(Array.from({ length: 4 }, () => send(service.url, '/api/warranties?sku=warm-1')));
    assert.deepEqual(
      warm.map((reply) => reply.status),
      [200, 200, 200, 200],
    );
    assert.ok(await eventually(async () => (await send(service.url, '/health/ready')).status === 200, 10_000), 'ready to begin with');
    const count = (message: string) => logLines(service.output()).filter((line) => line.message === message).length;
    assert.ok(
      await eventually(async () => count('database unavailable') === count('database available again'), 10_000),
      'the first test’s outage is over in the log',
    );
    const from = service.output().length;
    const outageLines = (message: string) => logLines(service.output().slice(from)).filter((line) => line.message === message);

    process.kill(postmaster, 'SIGSTOP'); // the postmaster alone: its backends keep serving their connections
    const stoppedAt = performance.now();
    const stoppedAtWall = new Date().toISOString();
    const samples: string[] = [];
    let served: number[];
    try {
      // More requests at once than there are open connections: those that wait for a new one get 503.
      const burst = Promise.all(Array.from({ length: 12 }, () => send(service.url, '/api/warranties?sku=warm-1', { timeoutMs: 20_000 })));
      while (performance.now() - stoppedAt < 5000) {
        const reply = await send(service.url, '/health/ready', { timeoutMs: 20_000 });
        samples.push(`${Math.round(performance.now() - stoppedAt)} ms: ${reply.status}`);
        if (reply.status === 503) assert.equal(reply.body.error?.database?.status, 'down', reply.text);
        await sleep(200);
      }
      served = (await burst).map((reply) => reply.status);
      // An open connection still answers; that must not end the outage in the log while new connections hang.
      assert.equal(
        (await send(service.url, '/api/warranties?sku=warm-1', { timeoutMs: 20_000 })).status,
        200,
        'an open connection answers',
      );
      await sleep(1000); // archive sweeps on open connections succeed too
      t.diagnostic(`postmaster stopped: burst of 12 → ${served.join(',')}; readiness ${samples.join(', ')}`);
      const late = samples.filter((sample) => Number(sample.split(' ')[0]) > BOUND_MS);
      assert.ok(
        late.length > 0 && late.every((sample) => sample.endsWith(': 503')),
        `readiness is 503 after ${BOUND_MS} ms: ${samples.join(', ')}`,
      );
      assert.equal(outageLines('database unavailable').length, 1, 'the outage is logged once');
      assert.deepEqual(
        outageLines('database available again'),
        [],
        `not declared over while new connections hang (stopped at ${stoppedAtWall}; ${JSON.stringify(outageLines('database unavailable'))})`,
      );
    } finally {
      process.kill(postmaster, 'SIGCONT');
    }
    const resumedAt = performance.now();
    assert.ok(await eventually(async () => (await send(service.url, '/health/ready')).status === 200, 10_000), 'ready again');
    const readyAfter = Math.round(performance.now() - resumedAt);
    assert.ok(await eventually(async () => outageLines('database available again').length === 1, 10_000), 'then the outage is over');
    t.diagnostic(
      `postmaster resumed: ready again after ${readyAfter} ms; outage logged over: ${JSON.stringify(outageLines('database available again')[0])}`,
    );
  });
});
