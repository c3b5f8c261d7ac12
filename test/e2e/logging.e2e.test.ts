/**
 * Logs as log tooling expects them (issue 9, item 8), from the service as its own process: standard
 * level names, every line JSON on stdout, one access line per request with its request id, and a
 * database outage logged once per change of state — not a stack trace per 503.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { post, send } from '../../harness/http-client.js';
import { logLines, startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import { TcpProxy, withPort } from '../support/tcp-proxy.js';
import { createDatabase, eventually, SEED_PAYLOAD, serviceEnv } from '../support/test-env.js';

describe('logs (service process, LOG_LEVEL=info)', () => {
  let proxy: TcpProxy;
  let service: ServiceProcess;

  before(async () => {
    const databaseUrl = await createDatabase();
    proxy = new TcpProxy(Number(new URL(databaseUrl).port));
    const proxyPort = await proxy.start();
    service = await startServiceProcess(
      serviceEnv(withPort(databaseUrl, proxyPort), undefined, {
        LOG_LEVEL: 'info',
        DB_ACQUIRE_TIMEOUT_MS: '500',
        ARCHIVE_SWEEP_INTERVAL_MS: '100',
      }),
    );
  });

  after(async () => {
    await service?.stop('SIGTERM', 10_000);
    await proxy?.stop();
  });

  it('every line is JSON on stdout with a standard level name; the start-up line gives the API and docs URLs', () => {
    const lines = logLines(service.output());
    assert.ok(lines.length > 0, service.output());
    for (const line of lines)
      assert.ok(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(String(line.level)), JSON.stringify(line));
    assert.equal(service.errors().trim(), '', 'nothing on stderr');
    const listening = lines.find((line) => line.message === 'listening');
    assert.ok(listening, 'a "listening" line');
    assert.match(String(listening.docs), /^http:\/\/127\.0\.0\.1:\d+\/docs$/);
    assert.match(String(listening.api), /^http:\/\/127\.0\.0\.1:\d+\/api\/warranties$/);
  });

  it('one access line per request: request id, method, route template, status, duration', async () => {
    const requestId = `log-test-${Date.now()}`;
    assert.equal((await post(service.url, SEED_PAYLOAD, { 'x-request-id': requestId })).status, 201);
    assert.ok(await eventually(async () => logLines(service.output()).some((line) => line.request_id === requestId), 5000));
    const lines = logLines(service.output()).filter((line) => line.request_id === requestId && line.message === 'request');
    assert.equal(lines.length, 1, JSON.stringify(lines));
    const [line] = lines;
    assert.equal(line.level, 'info');
    assert.equal(line.method, 'POST');
    assert.equal(line.route, '/api/warranties');
    assert.equal(line.status, 201);
    assert.equal(typeof line.duration_ms, 'number');
  });

  it('a database outage is logged once when it starts and once when it ends, with a count, and no stack per 503', async () => {
    const from = service.output().length;
    proxy.mode = 'down';
    proxy.cut();
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push((await post(service.url, { ...SEED_PAYLOAD, item_sku: `outage-${i}` }, {}, 10_000)).status);
    assert.deepEqual([...new Set(answers)], [503], answers.join(','));
    await new Promise((resolve) => setTimeout(resolve, 500)); // a few archive sweeps fail too
    proxy.mode = 'up';
    assert.ok(
      await eventually(
        async () => [200, 201].includes((await post(service.url, { ...SEED_PAYLOAD, item_sku: 'after-outage' })).status),
        10_000,
      ),
      'serves again once the database is back',
    );
    assert.ok(await eventually(async () => service.output().slice(from).includes('database available again'), 5000));
    const during = service.output().slice(from);
    const lines = logLines(during);
    const down = lines.filter((line) => line.message === 'database unavailable');
    const up = lines.filter((line) => line.message === 'database available again');
    assert.equal(down.length, 1, `one "database unavailable" line, got ${down.length}`);
    assert.equal(down[0].level, 'warn');
    assert.equal(up.length, 1, `one "database available again" line, got ${up.length}`);
    assert.ok(Number(up[0].failures) >= 20, `the failures are counted: ${JSON.stringify(up[0])}`);
    assert.doesNotMatch(during, /\n\s+at\s/, 'no stack trace');
    const accessLines = lines.filter((line) => line.message === 'request' && line.status === 503);
    assert.equal(accessLines.length, 20, 'each refused request still has its access line');
    assert.ok(accessLines.every((line) => line.level === 'warn'));
    assert.equal((await send(service.url, '/health/ready')).status, 200);
  });
});
