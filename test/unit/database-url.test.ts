/**
 * DATABASE_URL into pg's connection options (src/config/database-url.ts): libpq's meaning for sslmode and
 * the certificate parameters, and a problem naming any parameter the service cannot apply. The modes
 * that need a server (prefer, allow) and the options against a real TLS-only PostgreSQL are in
 * test/e2e/production-path.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import { databaseConnection, databaseUrlProblems } from '../../src/config/database-url.js';

const folder = mkdtempSync(join(tmpdir(), 'warranty-database-url-'));
after(() => rmSync(folder, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
};
const CA = file('ca.pem', 'the CA');
const CERT = file('client.pem', 'the client certificate');
const KEY = file('client.key', 'the client key');
const BASE = 'postgresql://app:s%40cret@db.internal:6543/warranty';

describe('DATABASE_URL parameters', () => {
  it('host, port, user, password and database come from the URL, percent-decoded; the database defaults to the user', async () => {
    const { options } = await databaseConnection(`${BASE}?sslmode=disable`);
    assert.deepEqual(
      { ...options },
      {
        host: 'db.internal',
        port: 6543,
        user: 'app',
        password: 's@cret',
        database: 'warranty',
        application_name: 'warranty-service',
        ssl: false,
      },
    );
    const bare = (await databaseConnection('postgres://app@[::1]?sslmode=disable')).options;
    assert.deepEqual([bare.host, bare.port, bare.database], ['::1', 5432, 'app']);
    assert.equal((await databaseConnection(`${BASE}?sslmode=disable&application_name=billing`)).options.application_name, 'billing');
  });

  it('sslmode=require: TLS, nothing verified — unless there is a root certificate (then the chain, as verify-ca)', async () => {
    const plain = await databaseConnection(`${BASE}?sslmode=require`);
    assert.deepEqual(plain.options.ssl, { rejectUnauthorized: false });
    assert.match(plain.tls, /not verified/);
    const rooted = await databaseConnection(`${BASE}?sslmode=require&sslrootcert=${CA}`);
    assert.ok(rooted.options.ssl);
    assert.equal(rooted.options.ssl.ca, 'the CA');
    assert.equal(rooted.options.ssl.rejectUnauthorized, undefined, 'the chain is checked');
    assert.equal(rooted.options.ssl.checkServerIdentity?.('anything', {} as never), undefined, 'the host name is not');
  });

  it('verify-ca checks the chain only; verify-full the chain and the host name (given to Node even for an IP address)', async () => {
    const ca = (await databaseConnection(`${BASE}?sslmode=verify-ca&sslrootcert=${CA}`)).options.ssl;
    assert.ok(ca && ca.ca === 'the CA' && ca.rejectUnauthorized === undefined && typeof ca.checkServerIdentity === 'function');
    const full = await databaseConnection(`postgres://app@10.0.0.5/db?sslmode=verify-full&sslrootcert=${CA}`);
    assert.deepEqual(full.options.ssl, { ca: 'the CA', host: '10.0.0.5' });
    assert.match(full.tls, /host name verified/);
  });

  it('sslrootcert=system: the system CAs, and verify-full unless said otherwise', async () => {
    const system = await databaseConnection(`${BASE}?sslrootcert=system`);
    assert.ok(system.options.ssl && Array.isArray(system.options.ssl.ca) && system.options.ssl.host === 'db.internal');
    assert.deepEqual(databaseUrlProblems(`${BASE}?sslrootcert=system&sslmode=require`), [
      'DATABASE_URL sslrootcert=system requires sslmode=verify-full (got "require")',
    ]);
  });

  it('a client certificate: sslcert, sslkey and sslpassword', async () => {
    const { options } = await databaseConnection(`${BASE}?sslmode=require&sslcert=${CERT}&sslkey=${KEY}&sslpassword=pw`);
    assert.ok(options.ssl);
    assert.deepEqual([options.ssl.cert, options.ssl.key, options.ssl.passphrase], ['the client certificate', 'the client key', 'pw']);
  });

  for (const [query, expected] of [
    ['sslmode=require&connect_timeout=5', /^DATABASE_URL parameter "connect_timeout" is not supported: the service applies only sslmode, /],
    ['ssl=true', /^DATABASE_URL parameter "ssl" is not supported/],
    ['uselibpqcompat=true&sslmode=require', /^DATABASE_URL parameter "uselibpqcompat" is not supported/],
    ['sslmode=require&sslmode=disable', /^DATABASE_URL parameter "sslmode" is given twice/],
    [
      'sslmode=no-verify',
      /^DATABASE_URL sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full \(got "no-verify"\)/,
    ],
    ['sslmode=verify-full', /^DATABASE_URL sslmode=verify-full needs sslrootcert/],
    ['sslmode=verify-ca', /^DATABASE_URL sslmode=verify-ca needs sslrootcert/],
    [`sslmode=disable&sslrootcert=${CA}`, /^DATABASE_URL sslrootcert has no effect with sslmode=disable/],
    [`sslmode=require&sslcert=${CERT}`, /^DATABASE_URL sslcert and sslkey go together/],
    ['sslmode=require&sslpassword=pw', /^DATABASE_URL sslpassword is for an encrypted sslkey/],
    [`sslmode=verify-full&sslrootcert=${join(folder, 'missing.pem')}`, /^DATABASE_URL sslrootcert: cannot read .*missing\.pem \(ENOENT\)$/],
  ] as const) {
    it(`${query}: refused, naming the parameter`, async () => {
      const problems = databaseUrlProblems(`${BASE}?${query}`);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0], expected);
      assert.ok(!problems[0].includes('s%40cret') && !problems[0].includes('s@cret'), 'never the password');
      await assert.rejects(databaseConnection(`${BASE}?${query}`), (error: Error) => error.message.includes(problems[0]));
    });
  }

  it('is validated with the rest of the configuration: every problem at once, each naming DATABASE_URL', () => {
    try {
      loadConfig({ DATABASE_URL: `${BASE}?sslmode=verify-full&foo=1`, PORT: 'x' });
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.problems.length, 3, error.message);
      assert.ok(error.problems.some((problem) => problem.startsWith('PORT')));
      assert.ok(error.problems.some((problem) => problem.startsWith('DATABASE_URL parameter "foo"')));
      assert.ok(error.problems.some((problem) => problem.startsWith('DATABASE_URL sslmode=verify-full needs sslrootcert')));
    }
    assert.equal(
      loadConfig({ DATABASE_URL: `${BASE}?sslmode=verify-full&sslrootcert=${CA}` }).database.url,
      `${BASE}?sslmode=verify-full&sslrootcert=${CA}`,
    );
  });
});
