/**
 * The embedded default's data folder across processes: a second instance must not take the first
 * one's database away, and a server orphaned by a killed instance must not block the next start.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { SEED_PAYLOAD } from '../support/test-env.js';
import { post } from '../support/http-client.js';
import { freePort } from '../../src/common/free-port.js';

const running: ServiceProcess[] = [];
const folders: string[] = [];

after(async () => {
  for (const service of running) await service.stop('SIGTERM');
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** Environment for a service on the embedded default, in its own data folder (no DATABASE_URL, no S3). */
async function embeddedEnv(): Promise<{ env: Record<string, string>; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warranty-embedded-'));
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
  };
  return { env, dataDir };
}

async function start(env: Record<string, string>): Promise<ServiceProcess> {
  const service = await startServiceProcess(env);
  running.push(service);
  return service;
}

describe('embedded PostgreSQL data folder (service processes)', () => {
  it('a second instance on the same data folder refuses to start and leaves the first one its database', async () => {
    const { env, dataDir } = await embeddedEnv();
    const first = await start(env);
    await assert.rejects(start(env), /in use by process \d+ \(another instance of this service\?\)/);
    assert.equal((await fetch(`${first.url}/health/ready`)).status, 200, 'the first instance still has its database');
    assert.equal((await post(first.url, SEED_PAYLOAD)).status, 201);
    assert.equal(await first.stop('SIGTERM'), 0);
    assert.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'the database stopped with its instance');
  });

  it('a server orphaned by a killed instance is stopped, and the next start proceeds with the same data', async () => {
    const { env } = await embeddedEnv();
    const killed = await start(env);
    assert.equal((await post(killed.url, SEED_PAYLOAD)).status, 201);
    assert.equal(await killed.stop('SIGKILL'), 'SIGKILL');
    const next = await start(env);
    assert.equal((await post(next.url, SEED_PAYLOAD)).status, 200, 'the item from before the kill is there');
    assert.equal(await next.stop('SIGTERM'), 0);
  });
});
