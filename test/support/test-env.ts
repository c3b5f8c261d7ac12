import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ModuleMetadata } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule, type TestingModuleBuilder } from '@nestjs/testing';
import { after, before } from 'node:test';
import { generateKey } from '../../src/access/api-key.js';
import { ApiKeysService, type KeyRequest } from '../../src/access/api-keys.service.js';
import { appOptions, configureApp } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import { appConfig, loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { DatabaseModule } from '../../src/database/database.module.js';
import { applyMigrations } from '../../src/database/migrate.js';
import { forgetKey, useKey } from '../../harness/http-client.js';
import { EXAMPLE_SUBMISSION } from '../../src/warranties/dto/create-warranty.dto.js';

/** Set by test/support/run-tests.ts (npm test). */
function requiredEnv(name: 'TEST_DATABASE_URL' | 'TEST_S3_ENDPOINT'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with "npm test", which starts PostgreSQL and S3 first`);
  return value;
}

/** The contract's example submission, as the OpenAPI document shows it. */
export const SEED_PAYLOAD = EXAMPLE_SUBMISSION;

const uniqueName = (prefix: string) => `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;

/** A fresh, empty database on the test PostgreSQL server, migrated to the current schema unless `migrated: false`. */
export async function createDatabase(options: { migrated?: boolean } = {}): Promise<string> {
  const admin = new pg.Client({ connectionString: requiredEnv('TEST_DATABASE_URL') });
  const name = uniqueName('t_');
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(requiredEnv('TEST_DATABASE_URL'));
  url.pathname = `/${name}`;
  if (options.migrated ?? true) await applyMigrations({ url: url.toString() });
  return url.toString();
}

/**
 * Backends of the client's database waiting for a lock (requests held by a test's transaction). Ask
 * from a client outside that transaction: inside it, pg_stat_activity is one frozen snapshot.
 */
export async function lockWaiters(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return rows[0].n;
}

/** A pg client on a test database, for assertions straight against the tables. */
export async function sqlClient(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return client;
}

export interface TestBucket {
  name: string;
  endpoint: string;
  client: S3Client;
  keys(prefix?: string): Promise<string[]>;
  read(key: string): Promise<unknown>;
}

/** A fresh bucket on the test S3 server (s3rver). */
export async function createBucket(endpoint = requiredEnv('TEST_S3_ENDPOINT')): Promise<TestBucket> {
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  const name = uniqueName('b-');
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    endpoint,
    client,
    async keys(prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: name, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async read(key: string) {
      const object = await client.send(new GetObjectCommand({ Bucket: name, Key: key }));
      return JSON.parse(await object.Body!.transformToString());
    },
  };
}

/** Environment for the service: a test database, an optional bucket, quiet logs, fast archive sweeps. */
export function serviceEnv(
  databaseUrl: string,
  bucket?: { name: string; endpoint: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'error',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'warranty-data-')),
    WEB_CONCURRENCY: '1',
    ARCHIVE_SWEEP_INTERVAL_MS: '200',
    ARCHIVE_BACKOFF_BASE_MS: '100',
    ARCHIVE_BACKOFF_MAX_MS: '1000',
    // Tests stop services often; the readiness delay before a SIGTERM stop has its own test (deploy.e2e).
    SHUTDOWN_DELAY_MS: '0',
    ...(bucket ? { S3_BUCKET: bucket.name, S3_ENDPOINT: bucket.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_REGION: 'us-east-1' } : {}),
    ...extra,
  };
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  url: string;
  /** An admin key issued for this app; the HTTP client sends it to `url` by default. */
  adminKey: string;
  /** Issues a key through the app's own ApiKeysService. */
  issueKey(request: KeyRequest): Promise<string>;
  close(): Promise<void>;
}

/**
 * The whole application in this process, listening on 127.0.0.1 (real HTTP, real PostgreSQL), built
 * by a Nest testing module with the configuration `env` gives; `override` may replace more providers.
 */
export async function startApp(
  env: Record<string, string>,
  override: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<TestApp> {
  const config = loadConfig(env);
  const moduleRef = await override(
    Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(appConfig.KEY)
      .useValue(config),
  ).compile();
  const app = configureApp(moduleRef.createNestApplication<NestExpressApplication>(appOptions()), config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const issueKey = async (request: KeyRequest) => (await app.get(ApiKeysService).issue(request)).key;
  // With no reachable database (the tests of that case) no key can be issued: requests then carry a
  // well-formed key nobody issued, whose first verification needs the database like everything else.
  const adminKey = await issueKey({ kind: 'admin' }).catch(() => generateKey('admin').key);
  useKey(url, adminKey);
  return {
    app,
    config,
    url,
    adminKey,
    issueKey,
    close: async () => {
      forgetKey(url);
      await app.close();
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true or `timeoutMs` passes; returns whether it became true. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 20_000, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(everyMs);
  }
  return probe();
}

/**
 * A Nest testing module of the given parts over the real database, with `config` (no HTTP): for tests
 * and the benchmark that exercise services and repositories directly. Call `close()` when done.
 */
export async function compileModule(
  config: AppConfig,
  metadata: ModuleMetadata,
  override: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<TestingModule> {
  const builder = Test.createTestingModule({
    ...metadata,
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [appConfig] }),
      DatabaseModule,
      ...(metadata.imports ?? []),
    ],
  })
    .overrideProvider(appConfig.KEY)
    .useValue(config);
  const moduleRef = await override(builder).compile();
  return moduleRef.init();
}

/**
 * The usual end-to-end fixture, registered on the enclosing suite: a fresh database, the whole app on
 * it (startApp) and a SQL client for assertions, started before the suite's tests and closed after.
 */
export function appWithDatabase(extraEnv: Record<string, string> = {}): { readonly app: TestApp; readonly sql: pg.Client } {
  const fixture = {} as { app: TestApp; sql: pg.Client };
  before(async () => {
    const databaseUrl = await createDatabase();
    fixture.app = await startApp(serviceEnv(databaseUrl, undefined, extraEnv));
    fixture.sql = await sqlClient(databaseUrl);
  });
  after(async () => {
    await fixture.sql?.end();
    await fixture.app?.close();
  });
  return fixture;
}
