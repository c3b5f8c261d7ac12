/** Configuration: environment variables only, validated at start-up, every bad value reported at once by name. */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';

/** The ConfigError that loadConfig throws for `env`. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(error.message.startsWith('Invalid configuration:'), error.message);
    for (const problem of error.problems) assert.ok(error.message.includes(problem), 'the message lists every problem');
    return error.problems;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('defaults: port 3000 on all interfaces, embedded PostgreSQL, local archive, pool 10', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.workers, 1, 'one process by default (cluster mode when asked)');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.dataDir, resolve('.data'));
    assert.deepEqual(config.database, {
      url: undefined,
      embeddedPort: 54329,
      poolSize: 10,
      acquireTimeoutMs: 2000,
      statementTimeoutMs: 5000,
      writeGroups: 4,
      writeGroupMax: 100,
    });
    assert.equal(config.archive.s3Bucket, undefined);
    assert.equal(config.archive.s3Region, 'us-east-1');
    assert.equal(config.archive.s3Endpoint, undefined);
    assert.equal(config.archive.s3ForcePathStyle, false);
    assert.equal(config.archive.localDir, resolve('.data', 'archive'));
    assert.equal(config.shutdownDrainMs, 12_000);
  });

  it('does not read process.env when given an environment', () => {
    const saved = process.env.PORT;
    process.env.PORT = 'not-a-port';
    try {
      assert.equal(loadConfig({}).port, 3000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      WEB_CONCURRENCY: '3',
      LOG_LEVEL: 'debug',
      DATA_DIR: '/tmp/warranty-config-test',
      DATABASE_URL: 'postgres://user:secret@db.internal:5432/warranties',
      DB_POOL_SIZE: '25',
      DB_ACQUIRE_TIMEOUT_MS: '750',
      DB_STATEMENT_TIMEOUT_MS: '9000',
      S3_BUCKET: 'my-archive.bucket-1',
      S3_REGION: 'eu-west-1',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_FORCE_PATH_STYLE: 'true',
      SHUTDOWN_DRAIN_MS: '0',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.workers, 3);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.dataDir, '/tmp/warranty-config-test');
    assert.equal(config.archive.localDir, '/tmp/warranty-config-test/archive');
    assert.equal(config.database.url, 'postgres://user:secret@db.internal:5432/warranties');
    assert.equal(config.database.poolSize, 25);
    assert.equal(config.database.acquireTimeoutMs, 750);
    assert.equal(config.database.statementTimeoutMs, 9000);
    assert.equal(config.archive.s3Bucket, 'my-archive.bucket-1');
    assert.equal(config.archive.s3Region, 'eu-west-1');
    assert.equal(config.archive.s3Endpoint, 'http://127.0.0.1:9000');
    assert.equal(config.archive.s3ForcePathStyle, true);
    assert.equal(config.shutdownDrainMs, 0);
  });

  it('trims values; empty or blank values mean "use the default"', () => {
    const config = loadConfig({
      PORT: ' 8081 ',
      LOG_LEVEL: '  warn',
      DB_POOL_SIZE: '',
      S3_REGION: '   ',
      DATABASE_URL: ' postgresql://h/db ',
    });
    assert.equal(config.port, 8081);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.database.poolSize, 10);
    assert.equal(config.archive.s3Region, 'us-east-1');
    assert.equal(config.database.url, 'postgresql://h/db');
  });

  it('accepts the edges of the integer ranges', () => {
    assert.equal(loadConfig({ PORT: '0' }).port, 0);
    assert.equal(loadConfig({ PORT: '65535' }).port, 65_535);
    assert.equal(loadConfig({ DB_POOL_SIZE: '1' }).database.poolSize, 1);
    assert.equal(loadConfig({ DB_POOL_SIZE: '1' }).database.writeGroups, 1, 'group commits in flight default to at most the pool');
    assert.equal(loadConfig({ DB_POOL_SIZE: '20', DB_WRITE_GROUPS: '20' }).database.writeGroups, 20);
    assert.equal(loadConfig({ DB_WRITE_GROUP_MAX: '1' }).database.writeGroupMax, 1);
    assert.equal(loadConfig({ DB_POOL_SIZE: '500' }).database.poolSize, 500);
    assert.equal(loadConfig({ WEB_CONCURRENCY: '1' }).workers, 1);
  });

  it('booleans: true/1/yes and false/0/no, in any case', () => {
    for (const value of ['true', 'TRUE', 'True', '1', 'yes', 'YES'])
      assert.equal(loadConfig({ S3_FORCE_PATH_STYLE: value }).archive.s3ForcePathStyle, true, value);
    for (const value of ['false', 'FALSE', '0', 'no', 'No'])
      assert.equal(loadConfig({ S3_FORCE_PATH_STYLE: value }).archive.s3ForcePathStyle, false, value);
  });

  it("every standard log level is accepted (any case), and NestJS's names for two of them", () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const) {
      assert.equal(loadConfig({ LOG_LEVEL: level }).logLevel, level);
      assert.equal(loadConfig({ LOG_LEVEL: level.toUpperCase() }).logLevel, level);
    }
    assert.equal(loadConfig({ LOG_LEVEL: 'log' }).logLevel, 'info');
    assert.equal(loadConfig({ LOG_LEVEL: 'verbose' }).logLevel, 'trace');
  });

  for (const [name, value] of [
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', '1e3'],
    ['PORT', '0x50'],
    ['WEB_CONCURRENCY', '0'],
    ['WEB_CONCURRENCY', '65'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_LEVEL', 'information'],
    ['DATABASE_URL', 'mysql://db/warranties'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'localhost:5432'],
    ['DB_POOL_SIZE', '0'],
    ['DB_POOL_SIZE', '501'],
    ['DB_POOL_SIZE', 'ten'],
    ['DB_ACQUIRE_TIMEOUT_MS', '10'],
    ['DB_STATEMENT_TIMEOUT_MS', '5s'],
    ['DB_WRITE_GROUPS', '0'],
    ['DB_WRITE_GROUPS', '11'],
    ['DB_WRITE_GROUP_MAX', '0'],
    ['DB_WRITE_GROUP_MAX', '1001'],
    ['EMBEDDED_PG_PORT', '0'],
    ['S3_BUCKET', 'Upper_Case'],
    ['S3_BUCKET', 'ab'],
    ['S3_BUCKET', 'a'.repeat(64)],
    ['S3_BUCKET', 's3://bucket'],
    ['S3_REGION', 'US East'],
    ['S3_ENDPOINT', 'ftp://files.example'],
    ['S3_ENDPOINT', '127.0.0.1:9000'],
    ['S3_FORCE_PATH_STYLE', 'maybe'],
    ['SHUTDOWN_DRAIN_MS', '-5'],
    ['ARCHIVE_SWEEP_INTERVAL_MS', '1'],
  ] as const) {
    it(`${name}=${JSON.stringify(value)} is refused with a message naming ${name}`, () => {
      const env: Record<string, string> = { [name]: value };
      if (name === 'S3_ENDPOINT') env.S3_BUCKET = 'valid-bucket';
      const problems = problemsOf(env);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.ok(problems[0].startsWith(name), problems[0]);
    });
  }

  it('reports every bad value at once, each with its variable name and the value it got', () => {
    const problems = problemsOf({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://db/x',
      DB_POOL_SIZE: '0',
      S3_BUCKET: 'Bad_Bucket',
      S3_FORCE_PATH_STYLE: 'maybe',
      WEB_CONCURRENCY: '100',
    });
    const names = ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'DB_POOL_SIZE', 'S3_BUCKET', 'S3_FORCE_PATH_STYLE', 'WEB_CONCURRENCY'];
    assert.equal(problems.length, names.length, problems.join('\n'));
    for (const name of names)
      assert.ok(
        problems.some((p) => p.startsWith(name)),
        `${name} in ${problems.join(' | ')}`,
      );
    assert.ok(
      problems.some((p) => p.includes('"abc"')),
      'the bad value is shown',
    );
    assert.ok(problems.some((p) => p.includes('"loud"')));
  });

  it('does not echo a DATABASE_URL (it may hold a password) in its problem', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    assert.ok(!problems.join('\n').includes('hunter2'), problems.join('\n'));
  });

  it('S3_ENDPOINT without S3_BUCKET is refused, naming both', () => {
    const problems = problemsOf({ S3_ENDPOINT: 'http://127.0.0.1:9000' });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /S3_ENDPOINT/);
    assert.match(problems[0], /S3_BUCKET/);
  });

  it('S3_BUCKET alone is fine (real AWS, default region)', () => {
    const config = loadConfig({ S3_BUCKET: 'warranty-archive' });
    assert.equal(config.archive.s3Bucket, 'warranty-archive');
    assert.equal(config.archive.s3Endpoint, undefined);
  });

  it('ConfigError is an Error with a readable name and one line per problem', () => {
    try {
      loadConfig({ PORT: 'x', DB_POOL_SIZE: 'y' });
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof Error);
      assert.equal((error as Error).name, 'ConfigError');
      assert.equal((error as Error).message.split('\n').length, 3);
    }
  });
});

describe('tracing (OTEL_*): off by default, the standard variables checked like the others', () => {
  it('off without an endpoint; the traces URL from the base endpoint, or the traces endpoint as given', () => {
    assert.deepEqual(loadConfig({}).tracing, { endpoint: undefined, protocol: 'http/protobuf', sampler: 'parentbased_always_on' });
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.endpoint, 'http://collector:4318/v1/traces');
    const both = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/in',
    };
    assert.equal(loadConfig(both).tracing.endpoint, 'https://traces.example.com/in');
    assert.equal(loadConfig({ ...both, OTEL_SDK_DISABLED: 'true' }).tracing.endpoint, undefined);
  });

  it('reports a bad endpoint, protocol, sampler or ratio by name', () => {
    const problems = problemsOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
      OTEL_SDK_DISABLED: 'yes',
    });
    assert.deepEqual(
      problems.map((problem) => problem.split(' ')[0]),
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_SDK_DISABLED'],
      problems.join('\n'),
    );
    assert.equal(
      loadConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).tracing.sampler,
      'parentbased_traceidratio',
    );
  });
});

describe('production (NODE_ENV=production): no development fallbacks', () => {
  const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://app@db.internal/warranty' };

  it('the archive goes to S3_BUCKET, or to an ARCHIVE_DIR chosen on purpose — never to the folder under DATA_DIR', () => {
    const problems = problemsOf(production);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /^S3_BUCKET is required in production .*set ARCHIVE_DIR/);
    assert.equal(loadConfig({ ...production, S3_BUCKET: 'warranty-archive' }).archive.s3Bucket, 'warranty-archive');
    assert.equal(loadConfig({ ...production, ARCHIVE_DIR: '/mnt/archive' }).archive.localDir, '/mnt/archive');
  });

  it('a bad DATABASE_URL or S3_BUCKET is reported once, not again as missing', () => {
    const problems = problemsOf({ NODE_ENV: 'production', DATABASE_URL: 'mysql://db/x', S3_BUCKET: 'Bad_Bucket' });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.deepEqual(
      problems.map((problem) => problem.split(' ')[0]),
      ['DATABASE_URL', 'S3_BUCKET'],
    );
  });
});
