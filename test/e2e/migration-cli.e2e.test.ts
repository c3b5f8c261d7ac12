/**
 * `npm run migration:up` (the Procfile's release phase) as a child process: against DATABASE_URL, and
 * on the embedded default, which must start PostgreSQL, migrate, stop it again and exit 0.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { freePort } from '../../src/common/free-port.js';
import { migrationsList } from '../../migrations/index.js';
import { runCli, type CliRun } from '../../harness/service-process.js';
import { createDatabase, sqlClient } from '../support/test-env.js';

const MIGRATE_SCRIPT = fileURLToPath(new URL('../../src/database/migrate.cli.js', import.meta.url));
/** Every migration, as the CLI reports them applied to an empty database. */
const ALL = migrationsList.map((migration) => migration.name).join(', ');

/** Runs the migration CLI with exactly `env` (plus PATH and HOME): no DATABASE_URL from the caller's shell. */
function migrate(env: Record<string, string>): Promise<CliRun> {
  return runCli(MIGRATE_SCRIPT, [], env);
}

const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('npm run migration:up (migrate.cli)', () => {
  it('applies pending migrations to DATABASE_URL, then finds none pending', async () => {
    const databaseUrl = await createDatabase({ migrated: false });
    const first = await migrate({ DATABASE_URL: databaseUrl });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), `Applied: ${ALL}`);
    const sql = await sqlClient(databaseUrl);
    try {
      const { rows } = await sql.query(`SELECT to_regclass('warranty') IS NOT NULL AS present`);
      assert.equal(rows[0].present, true);
    } finally {
      await sql.end();
    }
    const second = await migrate({ DATABASE_URL: databaseUrl });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), 'No pending migrations.');
  });

  it('without DATABASE_URL: starts the embedded PostgreSQL, migrates, stops it and exits 0 with nothing on stderr', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warranty-migrate-'));
    chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user and must reach its folder
    folders.push(dataDir);
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) };
    const first = await migrate(env);
    assert.deepEqual([first.code, first.stderr], [0, ''], first.stdout);
    assert.equal(first.stdout.trim(), `Applied: ${ALL}`);
    assert.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'the embedded server was stopped');
    const second = await migrate(env);
    assert.deepEqual([second.code, second.stderr], [0, ''], second.stdout);
    assert.equal(second.stdout.trim(), 'No pending migrations.');
  });

  it('a bad DATABASE_URL is named on stderr with exit 1', async () => {
    const run = await migrate({ DATABASE_URL: 'mysql://nope' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /DATABASE_URL/);
  });
});
