/**
 * `npm run keys` (src/access/keys.cli.ts) end to end as a child process — on DATABASE_URL, and on the
 * embedded default both while the service runs on it and with nothing running — plus the development
 * admin key (DATA_DIR/dev-admin-key: mode 0600, one line, created once, reused) and a service's logs
 * grepped for key material; budgets set on create and changed later (issue 19).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { prefixFrom } from '../../src/access/api-key.js';
import { freePort } from '../../src/common/free-port.js';
import { bearer, post, send } from '../../harness/http-client.js';
import { runCli, serviceProcesses, type CliRun } from '../../harness/service-process.js';
import { createDatabase, eventually, SEED_PAYLOAD, serviceEnv } from '../support/test-env.js';

const KEYS_SCRIPT = fileURLToPath(new URL('../../src/access/keys.cli.js', import.meta.url));
const KEY = /^wsk_(admin|store)_[0-9a-f]{12}_[0-9a-f]{64}$/;

/** Runs the keys CLI with exactly `env` (plus PATH and HOME). */
function keys(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runCli(KEYS_SCRIPT, args, env);
}

async function created(run: Promise<CliRun>): Promise<string> {
  const result = await run;
  assert.equal(result.code, 0, result.stderr);
  const key = result.stdout.trim();
  assert.match(key, KEY, 'the key alone on stdout');
  return key;
}

const secretOf = (key: string) => key.slice(prefixFrom(key)!.length + 1);

const services = serviceProcesses('warranty-keys-');
const { start } = services;
/** A service on the embedded default that logs at `log` (so the key-material grep sees every line) and trusts a key for 0.5 s. */
const embeddedEnv = async () => (await services.embeddedEnv({ LOG_LEVEL: 'log', API_KEY_CACHE_TTL_MS: '500' })).env;

describe('npm run keys on DATABASE_URL', () => {
  it('create --store / create --admin / list / revoke; bad usage exits 2', async () => {
    const env = serviceEnv(await createDatabase(), undefined, { LOG_LEVEL: 'verbose', API_KEY_CACHE_TTL_MS: '500' });
    const store = await created(keys(['create', '--store', 'cli-store'], env));
    const admin = await created(keys(['create', '--admin'], env));
    assert.ok(store.startsWith('wsk_store_') && admin.startsWith('wsk_admin_'));

    const listed = await keys(['list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${prefixFrom(store)}\\s+store\\s+cli-store`));
    assert.match(listed.stdout, new RegExp(`${prefixFrom(admin)}\\s+admin\\s+-`));
    for (const key of [store, admin]) assert.ok(!listed.stdout.includes(secretOf(key)), 'list shows no secret');

    // The keys work on a service on that database, each in its scope; the service's logs never show one.
    const service = await start(env);
    assert.equal((await post(service.url, { ...SEED_PAYLOAD, store_uuid: 'cli-store' }, bearer(store))).status, 201);
    assert.equal((await post(service.url, SEED_PAYLOAD, bearer(store))).status, 403);
    assert.equal((await post(service.url, SEED_PAYLOAD, bearer(admin))).status, 201);
    assert.equal((await send(service.url, '/api/warranties', { key: `${prefixFrom(admin)}_${'f'.repeat(64)}` })).status, 401);

    const revoked = await keys(['revoke', prefixFrom(store)!], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.ok(await eventually(async () => (await send(service.url, '/api/warranties', { key: store })).status === 401, 5000, 100));
    assert.match((await keys(['list'], env)).stdout, new RegExp(`${prefixFrom(store)}\\s+store\\s+cli-store\\s+\\S+\\s+\\S+\\s+\\d{4}-`));
    const again = await keys(['revoke', prefixFrom(store)!], env);
    assert.equal(again.code, 1, 'revoking twice says so');
    assert.match(again.stderr, /No live key/);

    for (const bad of [[], ['create'], ['create', '--store'], ['create', '--store', 'bad uuid!'], ['revoke', 'nope'], ['frobnicate']]) {
      const result = await keys(bad, env);
      assert.ok(result.code === 2 || (bad.includes('bad uuid!') && result.code === 1), `${bad.join(' ')}: ${result.code} ${result.stderr}`);
      assert.equal(result.stdout, '');
    }

    assert.equal(await service.stop('SIGTERM'), 0);
    const output = service.output();
    assert.match(output, /"status":401/, 'the logs were captured (requests are logged)');
    for (const key of [store, admin, service.adminKey]) assert.ok(!output.includes(secretOf(key)), 'a key secret in the logs');
  });
});

describe('npm run keys: budgets', () => {
  it('create … --rate N --burst N, budget <prefix> --rate N --burst N, budget <prefix> --default; list shows them; the service applies them', async () => {
    const env = serviceEnv(await createDatabase(), undefined, { API_KEY_CACHE_TTL_MS: '500' });
    const store = await created(keys(['create', '--store', 'budget-store', '--rate', '5', '--burst', '7'], env));
    const admin = await created(keys(['create', '--admin'], env));
    // Each CLI run starts a process and a Nest context: one `list` before the changes and one after.
    const budgets = async () => {
      const listed = await keys(['list'], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /^prefix\s+kind\s+store_uuid\s+budget\s+created_at/);
      const budgetOf = (key: string) => {
        const line = listed.stdout.split('\n').find((row) => row.startsWith(prefixFrom(key)!))!;
        return /^\S+\s+\S+\s+\S+\s+(default|unlimited|\d+\/s burst \d+)\s/.exec(line)?.[1];
      };
      return [budgetOf(store), budgetOf(admin)];
    };
    assert.deepEqual(await budgets(), ['5/s burst 7', 'unlimited']);

    const service = await start(env);
    const limit = async (key: string) => (await send(service.url, '/api/pricing', { key })).headers.get('ratelimit-limit');
    assert.equal(await limit(store), '7');
    assert.equal(await limit(admin), null, 'an admin key without a budget is unlimited');

    const changed = await keys(['budget', prefixFrom(store)!, '--rate', '2', '--burst', '3'], env);
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stdout, /budget 2\/s burst 3/);
    assert.ok(await eventually(async () => (await limit(store)) === '3', 5000, 100), 'the service takes the new budget');
    assert.equal((await keys(['budget', admin, '--rate', '1000', '--burst', '50'], env)).code, 0, 'a whole key names its prefix');
    assert.ok(await eventually(async () => (await limit(admin)) === '50', 5000, 100), 'an admin key limited once given a budget');
    const reset = await keys(['budget', prefixFrom(store)!, '--default'], env);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /budget default/);
    assert.ok(await eventually(async () => (await limit(store)) === '200', 5000, 100), 'RATE_LIMIT_BURST, 200 by default');
    assert.deepEqual(await budgets(), ['default', '1000/s burst 50']);

    for (const bad of [
      ['create', '--store', 'x', '--rate', '5'],
      ['create', '--admin', '--burst', '5'],
      ['create', '--admin', '--rate', '0', '--burst', '5'],
      ['create', '--admin', '--rate', '1.5', '--burst', '5'],
      ['create', '--admin', '--default'],
      ['budget', prefixFrom(store)!],
      ['budget', prefixFrom(store)!, '--rate', '5', '--burst', '5', '--default'],
      ['budget', '--rate', '5', '--burst', '5'],
      ['budget', 'nope', '--default'],
      ['budget', prefixFrom(store)!, '--rate', 'x', '--burst', '5'],
    ]) {
      const result = await keys(bad, env);
      assert.equal(result.code, 2, `${bad.join(' ')}: ${result.code} ${result.stderr}`);
      assert.equal(result.stdout, '');
    }
    const tooMuch = await keys(['budget', prefixFrom(store)!, '--rate', '2000000', '--burst', '5'], env);
    assert.equal(tooMuch.code, 1);
    assert.match(tooMuch.stderr, /rate must be an integer from 1 to 1000000/);
    const unknown = await keys(['budget', 'wsk_store_000000000000', '--default'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No key with prefix/);
    assert.equal(await service.stop('SIGTERM'), 0);
  });
});

describe('npm run keys and the development key on the embedded default', () => {
  it('first start creates DATA_DIR/dev-admin-key (0600, one line) and prints it once; the CLI works against the running service; a restart reuses the key', async () => {
    const env = await embeddedEnv();
    const file = join(env.DATA_DIR, 'dev-admin-key');
    const first = await start(env);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^wsk_admin_[0-9a-f]{12}_[0-9a-f]{64}\n$/, 'the key alone, one line');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const devKey = text.trim();
    assert.equal(first.adminKey, devKey);
    assert.match(first.output(), /DEVELOPMENT ADMIN KEY/);
    assert.equal(first.output().split(secretOf(devKey)).length - 1, 1, 'printed exactly once');
    assert.equal((await send(first.url, '/api/warranties', { key: devKey })).status, 200);

    // While the service runs on the embedded server, the CLI connects to it (it cannot start it twice).
    const store = await created(keys(['create', '--store', 'dev-store'], env));
    assert.equal((await post(first.url, { ...SEED_PAYLOAD, store_uuid: 'dev-store' }, bearer(store))).status, 201);
    const listed = await keys(['list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${prefixFrom(devKey)}\\s+admin`));
    assert.match(listed.stdout, new RegExp(`${prefixFrom(store)}\\s+store\\s+dev-store`));
    assert.equal((await keys(['revoke', store], env)).code, 0, 'a whole key names its prefix too');
    assert.ok(await eventually(async () => (await send(first.url, '/api/warranties', { key: store })).status === 401, 5000, 100));
    assert.equal(await first.stop('SIGTERM'), 0);

    // Nothing running: the CLI starts the embedded server itself, and stops it again.
    const offline = await keys(['list'], env);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, new RegExp(`${prefixFrom(store)}\\s+store\\s+dev-store\\s+\\S+\\s+\\S+\\s+\\d{4}-`), 'revoked');
    assert.equal(existsSync(join(env.DATA_DIR, 'postgres', 'postmaster.pid')), false, 'the CLI stopped the server it started');

    const second = await start(env);
    assert.equal(readFileSync(file, 'utf8'), text, 'the same key, the file untouched');
    assert.ok(!second.output().includes(secretOf(devKey)), 'a later start does not print the key');
    assert.match(second.output(), /development admin key: in /);
    assert.equal((await send(second.url, '/api/warranties', { key: devKey })).status, 200);
    assert.equal(await second.stop('SIGTERM'), 0);
  });

  it('NODE_ENV=production never creates a development key', async () => {
    const env: Record<string, string> = { ...(await embeddedEnv()), NODE_ENV: 'production' };
    // The service's own start-up (no key file to read): started by hand rather than through startServiceProcess.
    const child = spawn(process.execPath, [fileURLToPath(new URL('../../src/main.js', import.meta.url))], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(await freePort()), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await eventually(async () => /"listening"|start-up failed/.test(output) || child.exitCode !== null, 30_000);
    child.kill('SIGTERM');
    await exited;
    assert.equal(existsSync(join(env.DATA_DIR, 'dev-admin-key')), false, output);
    assert.doesNotMatch(output, /DEVELOPMENT ADMIN KEY/);
    // Nor does it start at all: no embedded database in production (issue 9, item 7).
    assert.match(output, /DATABASE_URL is required in production/);
  });
});
