/**
 * A database that hangs (every PostgreSQL process stopped with SIGSTOP: connections stay open, nothing
 * answers) — issue 8, item 3. A request's worst case is one bound: the acquire wait or the statement
 * timeout (+1 s client margin), not twice that because a ROLLBACK waits over the same dead connection.
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
import { startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import { eventually, SEED_PAYLOAD, serviceEnv } from '../support/test-env.js';

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

describe('database hang (its own PostgreSQL, all processes SIGSTOPped)', () => {
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
});
