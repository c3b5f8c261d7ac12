/**
 * The embedded default's data folder across processes: a second instance must not take the first
 * one's database away, and a server orphaned by a killed instance must not block the next start.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serviceProcesses } from '../../harness/service-process.js';
import { SEED_PAYLOAD } from '../support/test-env.js';
import { post } from '../../harness/http-client.js';

const services = serviceProcesses('warranty-embedded-');

describe('embedded PostgreSQL data folder (service processes)', () => {
  it('a second instance on the same data folder refuses to start and leaves the first one its database', async () => {
    const { env, dataDir } = await services.embeddedEnv();
    const first = await services.start(env);
    await assert.rejects(services.start(env), /in use by process \d+ \(another instance of this service\?\)/);
    assert.equal((await fetch(`${first.url}/health/ready`)).status, 200, 'the first instance still has its database');
    assert.equal((await post(first.url, SEED_PAYLOAD)).status, 201);
    assert.equal(await first.stop('SIGTERM'), 0);
    assert.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'the database stopped with its instance');
  });

  it('a server orphaned by a killed instance is stopped, and the next start proceeds with the same data', async () => {
    const { env } = await services.embeddedEnv();
    const killed = await services.start(env);
    assert.equal((await post(killed.url, SEED_PAYLOAD)).status, 201);
    assert.equal(await killed.stop('SIGKILL'), 'SIGKILL');
    const next = await services.start(env);
    assert.equal((await post(next.url, SEED_PAYLOAD)).status, 200, 'the item from before the kill is there');
    assert.equal(await next.stop('SIGTERM'), 0);
  });
});
