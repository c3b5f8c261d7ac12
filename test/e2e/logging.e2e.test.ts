/**
 * Logs as log tooling expects them (issue 9, item 8), from the service as its own process: standard
 * level names, every line JSON on stdout, one access line per request with its request id, and a
 * database outage logged once per change of state — not a stack trace per 503.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { post, send } from '../../harness/http-client.js';
import { parseKey } from '../../src/access/api-key.js';
import { withApiKeys } from '../../src/access/keys-context.js';
import { logLines, MAIN_SCRIPT, serviceProcesses, startServiceProcess, type ServiceProcess } from '../../harness/service-process.js';
import { openRaw } from '../support/raw-http.js';
import { TcpProxy, withPort } from '../support/tcp-proxy.js';
import { createDatabase, eventually, SEED_PAYLOAD, serviceEnv } from '../support/test-env.js';

describe('logs (service process, LOG_LEVEL=info)', () => {
  let proxy: TcpProxy;
  let service: ServiceProcess;
  let databaseUrl: string;

  before(async () => {
    databaseUrl = await createDatabase();
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

  it("Nest's start-up chatter (modules initialised, routes mapped) is at debug, not info", () => {
    const chatter = logLines(service.output()).filter((line) =>
      ['InstanceLoader', 'RoutesResolver', 'RouterExplorer'].includes(String(line.context)),
    );
    assert.deepEqual(chatter, []);
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

  it('a client that hangs up before its answer still gets an access line, marked client_left', async () => {
    const requestId = `left-${Date.now()}`;
    const connection = openRaw(service.url, { timeoutMs: 2000 });
    connection.write(
      `POST /api/warranties HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${service.adminKey}\r\n` +
        `X-Request-Id: ${requestId}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"store_uuid":`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200)); // the body is being read
    connection.socket.destroy();
    assert.ok(
      await eventually(
        async () => logLines(service.output()).some((line) => line.request_id === requestId && line.message === 'request'),
        5000,
      ),
    );
    const lines = logLines(service.output()).filter((line) => line.request_id === requestId && line.message === 'request');
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0].client_left, true);
    assert.equal(lines[0].route, '/api/warranties');
  });

  it("access lines name the key by its public prefix, a store key's store, and an error answer's code", async () => {
    const storeKey = await withApiKeys(
      databaseUrl,
      async (keys) => (await keys.issue({ kind: 'store', storeUuid: SEED_PAYLOAD.store_uuid })).key,
    );
    const id = (name: string) => `${name}-${Date.now()}`;
    const ids = { admin: id('admin'), store: id('store'), refused: id('refused'), keyless: id('keyless') };
    const sku = `access-line-${Date.now()}`;
    assert.equal((await post(service.url, { ...SEED_PAYLOAD, item_sku: sku }, { 'x-request-id': ids.admin })).status, 201);
    const byStore = { 'x-request-id': ids.store, authorization: `Bearer ${storeKey}` };
    assert.equal((await post(service.url, { ...SEED_PAYLOAD, item_sku: sku }, byStore)).status, 200);
    assert.equal((await post(service.url, { ...SEED_PAYLOAD, item_cost: -1 }, { 'x-request-id': ids.refused })).status, 400);
    assert.equal((await post(service.url, SEED_PAYLOAD, { 'x-request-id': ids.keyless, authorization: '' })).status, 401);
    const accessLine = async (requestId: string) => {
      await eventually(
        async () => logLines(service.output()).some((line) => line.request_id === requestId && line.message === 'request'),
        5000,
      );
      return logLines(service.output()).find((line) => line.request_id === requestId && line.message === 'request')!;
    };
    const admin = await accessLine(ids.admin);
    assert.equal(admin.key_prefix, parseKey(service.adminKey)!.prefix);
    assert.ok(!('store_uuid' in admin) && !('code' in admin), JSON.stringify(admin));
    const store = await accessLine(ids.store);
    assert.equal(store.key_prefix, parseKey(storeKey)!.prefix);
    assert.equal(store.store_uuid, SEED_PAYLOAD.store_uuid);
    const refused = await accessLine(ids.refused);
    assert.equal(refused.code, 'VALIDATION_FAILED');
    assert.equal(refused.level, 'warn');
    const keyless = await accessLine(ids.keyless);
    assert.equal(keyless.code, 'UNAUTHORIZED');
    assert.ok(!('key_prefix' in keyless));
    for (const key of [storeKey, service.adminKey]) assert.ok(!service.output().includes(key), 'never a key itself');
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

describe('a terminal in development (service process on a pseudo-terminal, embedded default)', () => {
  // util-linux's `script` gives the service a terminal; without it, LOG_FORMAT=pretty asks for the same lines.
  const terminal = existsSync('/usr/bin/script');
  const services = serviceProcesses('warranty-pretty-');
  let service: ServiceProcess;
  let dataDir: string;

  before(async () => {
    const embedded = await services.embeddedEnv({
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_MS: '0',
      ...(terminal ? {} : { LOG_FORMAT: 'pretty' }),
    });
    dataDir = embedded.dataDir;
    service = await startServiceProcess(embedded.env, {
      command: terminal ? ['script', '-q', '-e', '-c', `exec ${process.execPath} ${MAIN_SCRIPT}`, '/dev/null'] : undefined,
    });
  });

  after(async () => {
    // SIGTERM to the service itself (script would kill it outright): it stops its database, then script exits.
    const pid = terminal ? Number(readFileSync(`/proc/${service.child.pid}/task/${service.child.pid}/children`, 'utf8').trim()) : undefined;
    if (pid) process.kill(pid, 'SIGTERM');
    await service?.stop('SIGTERM', 15_000);
  });

  /** The output as a person sees it, without colours. */
  const screen = () => stripVTControlCharacters(service.output()).replace(/\r/g, '');

  it('pretty one-line logs (time, level, [context] message, fields), no JSON, no start-up chatter', async () => {
    assert.equal((await post(service.url, { ...SEED_PAYLOAD, item_sku: `pretty-${Date.now()}` })).status, 201);
    assert.ok(await eventually(async () => /INFO: POST \/api\/warranties 201 \d+ ms /.test(screen()), 5000), screen());
    const lines = screen()
      .split('\n')
      .filter((line) => line.trim() !== '');
    assert.ok(!lines.some((line) => line.startsWith('{')), 'no JSON line');
    assert.match(screen(), /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Main\] listening \{"port":\d+/m);
    assert.doesNotMatch(screen(), /Mapped \{|dependencies initialized/);
  });

  it('the development key and the URLs on plain lines a person can copy', () => {
    const key = readFileSync(join(dataDir, 'dev-admin-key'), 'utf8').trim();
    assert.match(screen(), new RegExp(`INFO: \\[Main\\] DEVELOPMENT ADMIN KEY \\(shown once; kept in [^)]+\\): ${key} `));
    assert.match(screen(), /^ {2}API {4}http:\/\/127\.0\.0\.1:\d+\/api\/warranties$/m);
    assert.match(screen(), /^ {2}Docs {3}http:\/\/127\.0\.0\.1:\d+\/docs$/m);
    assert.ok(
      screen().includes(`  Try    curl -H "Authorization: Bearer $(cat ${join(dataDir, 'dev-admin-key')})" http://127.0.0.1:`),
      screen(),
    );
  });
});
