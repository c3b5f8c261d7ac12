/**
 * The production path, rehearsed (docs/contract/operations.md: "The production path works as documented" and "TLS to
 * PostgreSQL"; issue 17). The image's layout in a temporary folder — the compiled JavaScript the image
 * copies, production dependencies installed by the Dockerfile's own line, no TypeScript compiler — run as
 * an unprivileged user with NODE_ENV=production, against a PostgreSQL that accepts only TLS (a CA and a
 * server certificate made here with the openssl CLI) and S3 (s3rver) with credentials: the Procfile's
 * release phase, the first admin key and a store key by the documented command, the Procfile's web
 * process serving POST, batch and GET, and SIGTERM → exit 0. Before that, sslmode's meanings against the
 * same server, through the service's own connection code (MikroORM's pool included).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freePort } from '../../src/common/free-port.js';
import { databaseConnection } from '../../src/config/database-url.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/database/embedded-postgres.js';
import { applyMigrations } from '../../src/database/migrate.js';
import { bearer, post, send } from '../../harness/http-client.js';
import { logLines, runCommand, startServiceProcess, type CliRun, type ProcessUser } from '../../harness/service-process.js';
import { createBucket, eventually, SEED_PAYLOAD, type TestBucket } from '../support/test-env.js';

/** The repository: Dockerfile, Procfile, package.json and the compiled dist/ (this file is dist/test/e2e/…). */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const KEY = /^wsk_(admin|store)_[0-9a-f]{12}_[0-9a-f]{64}$/;
const STORE = SEED_PAYLOAD.store_uuid;
const PASSWORD = 'rehearsal-secret';

const scratch = mkdtempSync(join(tmpdir(), 'warranty-production-'));
chmodSync(scratch, 0o755); // PostgreSQL and the unprivileged user must reach what is inside
const app = join(scratch, 'app');
const file = (name: string) => join(scratch, name);
let postgres: RunningPostgres | undefined;
let bucket: TestBucket;
let pgPort: number;
/** The unprivileged user the image runs as (`USER node`); as root here, `nobody`. */
let user: ProcessUser | undefined;
/** What the image's processes see: Node 24 and the system's tools on PATH (no project node_modules/.bin), a home of their own. */
let basics: Record<string, string>;

after(async () => {
  await postgres?.stop();
  // The installed node_modules is ~19,000 files: seconds to remove, up to a minute on a loaded machine.
  await rm(scratch, { recursive: true, force: true });
});

function openssl(...args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: scratch, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error('this rehearsal makes its certificates with the openssl CLI, and there is none (apt-get install -y openssl)', {
      cause: error,
    });
  }
}

/** A CA, a server certificate it signed (for 127.0.0.1 and localhost only), and an unrelated CA. */
function makeCertificates(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=rehearsal CA');
  openssl('req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-subj', '/CN=someone else');
  openssl(
    'req', '-x509', ...ec, '-keyout', 'server.key', '-out', 'server.pem', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE',
    '-CA', 'ca.pem', '-CAkey', 'ca.key',
  ); // prettier-ignore
  for (const name of ['ca.pem', 'other-ca.pem', 'server.pem']) chmodSync(file(name), 0o644);
  // PostgreSQL refuses a key others can read; it runs as its own user when we are root.
  if (process.getuid?.() === 0) chownSync(file('server.key'), idOf('-u', 'postgres'), idOf('-g', 'postgres'));
}

const idOf = (flag: '-u' | '-g', name: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }));

/** PostgreSQL with TLS on, and pg_hba.conf allowing TLS connections only (on 127.0.0.1 and 127.0.0.2). */
async function startTlsOnlyPostgres(): Promise<RunningPostgres> {
  writeFileSync(file('pg_hba.conf'), 'hostssl all all 127.0.0.0/8 scram-sha-256\n');
  chmodSync(file('pg_hba.conf'), 0o644);
  pgPort = await freePort();
  const server = await startEmbeddedPostgres(join(scratch, 'postgres'), pgPort, 'postgres', {
    ssl: 'on',
    ssl_cert_file: file('server.pem'),
    ssl_key_file: file('server.key'),
    hba_file: file('pg_hba.conf'),
    listen_addresses: '127.0.0.1,127.0.0.2',
  });
  const admin = new pg.Client((await databaseConnection(server.url)).options);
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE warranty LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query('CREATE DATABASE warranty OWNER warranty');
    await admin.query('CREATE DATABASE checks OWNER warranty');
  } finally {
    await admin.end();
  }
  return server;
}

/** The Dockerfile's own `RUN npm ci --omit=dev …` line (it also removes TypeScript), run in the image folder. */
async function installAsTheImageDoes(): Promise<CliRun> {
  const line = readFileSync(join(REPO, 'Dockerfile'), 'utf8')
    .split('\n')
    .find((text) => text.startsWith('RUN npm ci --omit=dev'));
  assert.ok(line, 'the Dockerfile installs production dependencies with npm ci --omit=dev');
  mkdirSync(app);
  chmodSync(app, 0o755);
  for (const name of ['package.json', 'package-lock.json']) copyFileSync(join(REPO, name), join(app, name));
  // The npm cache is warm from the project's own npm ci: offline-first keeps this to unpacking.
  return runCommand(['sh', '-c', line.slice('RUN '.length)], {
    PATH: basics.PATH,
    HOME: process.env.HOME ?? '',
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  }, { cwd: app, timeoutMs: 170_000 }); // prettier-ignore
}

/** The Procfile's command for `phase`, as argv (our Procfile uses no shell syntax). */
function procfile(phase: 'web' | 'release'): string[] {
  const line = readFileSync(join(REPO, 'Procfile'), 'utf8')
    .split('\n')
    .find((text) => text.startsWith(`${phase}:`));
  assert.ok(line, `the Procfile has a ${phase} process`);
  const command = line.slice(phase.length + 1).trim();
  assert.doesNotMatch(command, /[|&;<>$`"'\\]/, 'a plain command');
  return command.split(/\s+/);
}

/** The URL a deploy gives the service: the TLS-only server, verified against our CA (as for a managed PostgreSQL). */
function databaseUrl(query = `sslmode=verify-full&sslrootcert=${file('ca.pem')}`, host = '127.0.0.1', database = 'warranty'): string {
  return `postgresql://warranty:${PASSWORD}@${host}:${pgPort}/${database}?${query}`;
}

/** The production environment, as docker-compose.yml gives it to the app (with our database and bucket). */
function productionEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...basics,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl(),
    S3_BUCKET: bucket.name,
    S3_REGION: 'us-east-1',
    S3_ENDPOINT: bucket.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    SHUTDOWN_DELAY_MS: '200',
    ...extra,
  };
}

/** A command in the image folder, as the image's user. */
function inImage(command: string[], env = productionEnv()): Promise<CliRun> {
  return runCommand(command, env, { cwd: app, user });
}

const timings: Record<string, number> = {};
async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[name] = Math.round(performance.now() - started);
  }
}

describe('the production path, rehearsed (image layout, TLS-only PostgreSQL, S3, non-root)', () => {
  before(async () => {
    const home = file('home');
    mkdirSync(home);
    if (process.getuid?.() === 0) {
      user = { uid: idOf('-u', 'nobody'), gid: idOf('-g', 'nobody') };
      chownSync(home, user.uid, user.gid);
    }
    basics = {
      PATH: [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
      HOME: home,
      npm_config_update_notifier: 'false',
    };
    makeCertificates();
    bucket = await createBucket();
    // The install (mostly unpacking) and PostgreSQL's start overlap.
    const [installed, server] = await Promise.all([
      timed('npm ci --omit=dev', installAsTheImageDoes),
      timed('TLS PostgreSQL start', startTlsOnlyPostgres),
    ]);
    postgres = server;
    assert.equal(installed.code, 0, installed.stderr);
    cpSync(join(REPO, 'dist', 'src'), join(app, 'dist', 'src'), { recursive: true });
    cpSync(join(REPO, 'dist', 'migrations'), join(app, 'dist', 'migrations'), { recursive: true });
  });

  it('the image layout has no TypeScript compiler, and npm run build fails there', async () => {
    assert.equal(existsSync(join(app, 'node_modules', 'typescript')), false);
    assert.throws(() => createRequire(join(app, 'package.json')).resolve('typescript'), /Cannot find module/);
    assert.equal(existsSync(join(app, 'node_modules', '.bin', 'tsc')), false);
    const build = await inImage(['npm', 'run', 'build']);
    assert.notEqual(build.code, 0, 'nothing can compile here');
    assert.match(build.stderr, /tsc: (not found|command not found)/);
  });

  it('TLS: a PostgreSQL that refuses plain connections is reached with require and verify-full, refused with a wrong CA or sslmode=disable', async (t) => {
    const ca = file('ca.pem');
    const reached = async (url: string) => assert.ok(Array.isArray(await applyMigrations({ url })), url);
    const refused = async (url: string, reason: RegExp) => assert.rejects(applyMigrations({ url }), reason, url);

    await reached(databaseUrl('sslmode=require', '127.0.0.1', 'checks'));
    await reached(databaseUrl(`sslmode=verify-full&sslrootcert=${ca}`, '127.0.0.1', 'checks'));
    await refused(databaseUrl(`sslmode=verify-full&sslrootcert=${file('other-ca.pem')}`, '127.0.0.1', 'checks'), /certificate/);
    // require with a root certificate verifies the chain, as libpq does.
    await refused(databaseUrl(`sslmode=require&sslrootcert=${file('other-ca.pem')}`, '127.0.0.1', 'checks'), /certificate/);
    await refused(databaseUrl('sslmode=disable', '127.0.0.1', 'checks'), /no pg_hba\.conf entry .*no encryption/);
    // The same server by a name its certificate does not carry: verify-ca does not check names, verify-full does.
    await reached(databaseUrl(`sslmode=verify-ca&sslrootcert=${ca}`, '127.0.0.2', 'checks'));
    await refused(databaseUrl(`sslmode=verify-full&sslrootcert=${ca}`, '127.0.0.2', 'checks'), /127\.0\.0\.2 is not in the cert's list/);

    // prefer (libpq's default) takes TLS when the server offers it, and plain when it does not.
    const preferred = await databaseConnection(databaseUrl('', '127.0.0.1', 'checks'));
    assert.equal(preferred.tls, 'TLS, server certificate not verified (sslmode=prefer)');
    const client = new pg.Client(preferred.options);
    await client.connect();
    try {
      const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.equal(rows[0].ssl, true, 'the connection is encrypted');
    } finally {
      await client.end();
    }
    const plainServer = new URL(process.env.TEST_DATABASE_URL!);
    plainServer.searchParams.delete('sslmode');
    assert.match(
      (await databaseConnection(plainServer.toString())).tls,
      /^none \(sslmode=prefer; TLS failed: The server does not support SSL connections\)$/,
    );
    plainServer.searchParams.set('sslmode', 'require');
    await assert.rejects(applyMigrations({ url: plainServer.toString() }), /does not support SSL/);
    t.diagnostic(`TLS PostgreSQL started in ${timings['TLS PostgreSQL start']} ms`);
  });

  it('no pino-pretty in the image: LOG_FORMAT=pretty stops the start, naming it (auto stays JSON)', async () => {
    assert.throws(() => createRequire(join(app, 'package.json')).resolve('pino-pretty'), /Cannot find module/);
    const started = await inImage(procfile('web'), productionEnv({ LOG_FORMAT: 'pretty', PORT: '0' }));
    assert.equal(started.code, 1, started.stdout);
    assert.match(started.stderr, /LOG_FORMAT=pretty needs pino-pretty, a development dependency/);
  });

  it('an unknown DATABASE_URL parameter stops the start, naming it', async () => {
    const started = await inImage(procfile('web'), productionEnv({ DATABASE_URL: `${databaseUrl()}&connect_timeout=10`, PORT: '0' }));
    assert.equal(started.code, 1, started.stdout);
    assert.match(started.stderr, /DATABASE_URL parameter "connect_timeout" is not supported/);
    assert.ok(!started.stderr.includes(PASSWORD), 'the URL (and its password) is not echoed');
  });

  it('release, the first admin key, a store key, POST / batch / GET, SIGTERM → exit 0 — as the README says', async (t) => {
    const rehearsal = performance.now();
    // Before the release phase there is no schema: the keys command says what to do.
    const early = await inImage(['npm', 'run', '-s', 'keys', '--', 'create', '--admin']);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /apply the migrations first \(npm run migration:up/);

    const release = await inImage(procfile('release'));
    assert.equal(release.code, 0, release.stderr);
    assert.match(release.stdout, /^Applied: /);

    const help = await inImage(['npm', 'run', '-s', 'keys', '--', '--help']);
    assert.deepEqual([help.code, help.stderr], [0, '']);
    assert.match(help.stdout, /create --admin/);

    const admin = await timed('keys create --admin', () => inImage(['npm', 'run', '-s', 'keys', '--', 'create', '--admin']));
    assert.equal(admin.code, 0, admin.stderr);
    const adminKey = admin.stdout.trim();
    assert.match(adminKey, KEY, 'the key alone on stdout');
    const store = await inImage(['npm', 'run', '-s', 'keys', '--', 'create', '--store', STORE]);
    assert.equal(store.code, 0, store.stderr);
    const storeKey = store.stdout.trim();
    const listed = await timed('keys list', () => inImage(['npm', 'run', '-s', 'keys', '--', 'list']));
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /\sadmin\s/);
    assert.match(listed.stdout, new RegExp(`\\sstore\\s+${STORE}\\s`));

    const service = await timed('web start', () =>
      startServiceProcess(productionEnv(), { command: procfile('web'), cwd: app, inherit: 'basics', user, adminKey }),
    );
    const single = await post(service.url, SEED_PAYLOAD, bearer(storeKey));
    assert.equal(single.status, 201, single.text);
    const batch = await send(service.url, '/api/warranties/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ store_uuid: STORE, items: [{ ...SEED_PAYLOAD, store_uuid: undefined, item_sku: 'rehearsal-2' }] }),
      key: storeKey,
    });
    assert.equal(batch.status, 200, batch.text);
    assert.deepEqual(
      batch.body.results.map((result: { status: number }) => result.status),
      [201],
    );
    const listedPlans = await send(service.url, `/api/warranties?store_uuid=${STORE}`, { key: storeKey });
    assert.equal(listedPlans.status, 200, listedPlans.text);
    assert.equal(listedPlans.body.warranties.length, 4, 'two items, two plans each');
    assert.equal((await send(service.url, '/api/pricing', { key: adminKey })).status, 200, 'the first admin key works');
    assert.equal((await send(service.url, '/docs-json')).status, 200, 'the OpenAPI document, without TypeScript');
    assert.ok(await eventually(async () => (await bucket.keys('warranties/')).length === 2), 'both submissions archived to S3');

    assert.equal(await service.stop('SIGTERM', 20_000), 0, service.tail());
    const lines = logLines(service.output());
    assert.equal(
      lines.find((line) => line.message === 'database connection')?.tls,
      'TLS, server certificate and host name verified (sslmode=verify-full)',
      'the log says how the database is reached',
    );
    assert.ok(!lines.some((line) => line.level === 'error'), service.tail());
    timings.rehearsal = Math.round(performance.now() - rehearsal);
    t.diagnostic(`run as ${user ? `uid ${user.uid}` : 'the current user'}; ms: ${JSON.stringify(timings)}`);
  });
});
