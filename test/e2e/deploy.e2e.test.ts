/**
 * What a deploy relies on (issue 9, items 6 and 7), with the service as its own process: after SIGTERM
 * readiness says 503 at once while requests are still served for SHUTDOWN_DELAY_MS; in production
 * (NODE_ENV=production) there are no development fallbacks — no embedded database, no archive target
 * it cannot write.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { post, send } from '../../harness/http-client.js';
import { logLines, startServiceProcess } from '../../harness/service-process.js';
import { createBucket, createDatabase, SEED_PAYLOAD, serviceEnv, sleep } from '../support/test-env.js';

describe('deploys (service processes)', () => {
  it('SIGTERM: readiness answers 503 at once, requests are still served for SHUTDOWN_DELAY_MS, then it exits 0', async (t) => {
    const delayMs = 1500;
    const service = await startServiceProcess(serviceEnv(await createDatabase(), undefined, { SHUTDOWN_DELAY_MS: String(delayMs) }));
    assert.equal((await send(service.url, '/health/ready')).status, 200);
    const signalled = performance.now();
    const exited = service.stop('SIGTERM', 20_000);
    await sleep(100);
    const ready = await send(service.url, '/health/ready');
    const readyAfterMs = Math.round(performance.now() - signalled);
    assert.equal(ready.status, 503, `readiness ${readyAfterMs} ms after SIGTERM: ${ready.text}`);
    assert.equal(ready.body.error?.shutdown?.message, 'draining', ready.text);
    const during = await post(service.url, { ...SEED_PAYLOAD, item_sku: 'during-the-delay' });
    assert.equal(during.status, 201, `still served ${Math.round(performance.now() - signalled)} ms after SIGTERM: ${during.text}`);
    assert.equal((await send(service.url, '/health/live')).status, 200, 'and alive');
    assert.equal(await exited, 0, service.tail());
    const stoppedAfterMs = Math.round(performance.now() - signalled);
    t.diagnostic(`readiness 503 after ${readyAfterMs} ms; exit after ${stoppedAfterMs} ms (delay ${delayMs} ms)`);
    assert.ok(stoppedAfterMs >= delayMs, `it waited the delay before closing (${stoppedAfterMs} ms)`);
  });

  it('NODE_ENV=production without DATABASE_URL is a start-up error, not an embedded database', async () => {
    const env = serviceEnv('', undefined, { NODE_ENV: 'production' });
    delete (env as Record<string, string>).DATABASE_URL;
    await assert.rejects(startServiceProcess(env, { inherit: 'basics' }), (error: Error) => {
      assert.match(error.message, /DATABASE_URL is required in production/);
      assert.doesNotMatch(error.message, /started embedded PostgreSQL/, 'no embedded database was started');
      return true;
    });
  });

  it('NODE_ENV=production with an archive folder it cannot write does not start (and names the target); one it can write: starts, and warns', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'warranty-deploy-'));
    const notAFolder = join(folder, 'a-file');
    writeFileSync(notAFolder, 'in the way');
    const databaseUrl = await createDatabase();
    const env = serviceEnv(databaseUrl, undefined, { NODE_ENV: 'production', ARCHIVE_DIR: join(notAFolder, 'archive') });
    await assert.rejects(startServiceProcess(env), (error: Error) => {
      assert.match(error.message, /archive target file:\/\/.*cannot be written/);
      return true;
    });
    // ARCHIVE_DIR set on purpose (a mounted volume, say) is allowed — said loudly, since it is only as safe as that folder.
    const service = await startServiceProcess(
      serviceEnv(databaseUrl, undefined, { NODE_ENV: 'production', ARCHIVE_DIR: join(folder, 'archive'), LOG_LEVEL: 'warn' }),
    );
    assert.equal(await service.stop('SIGTERM', 20_000), 0);
    const warning = logLines(service.output()).find(
      (line) => line.level === 'warn' && /archive to a local folder in production/.test(String(line.message)),
    );
    assert.ok(warning, service.tail());
    assert.match(String(warning.target), /^file:\/\//);
  });

  it('NODE_ENV=production with a bucket it cannot write does not start; with a writable one it does', async () => {
    const bucket = await createBucket();
    const missing = { name: `${bucket.name}-missing`, endpoint: bucket.endpoint };
    await assert.rejects(startServiceProcess(serviceEnv(await createDatabase(), missing, { NODE_ENV: 'production' })), (error: Error) => {
      assert.match(error.message, /archive target s3:\/\/.*cannot be written/);
      return true;
    });
    const service = await startServiceProcess(serviceEnv(await createDatabase(), bucket, { NODE_ENV: 'production' }));
    try {
      assert.equal((await send(service.url, '/health/ready')).status, 200);
    } finally {
      assert.equal(await service.stop('SIGTERM', 20_000), 0);
    }
  });
});
