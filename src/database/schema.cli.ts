import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../common/free-port.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { applyMigrations } from './migrate.js';

/**
 * `npm run migration:create` / `npm run migration:check`: runs `@mikro-orm/cli`'s command of the same
 * name against a scratch PostgreSQL (embedded, in a temporary folder) that holds every migration in
 * migrations/, so both compare the entities with exactly what the migrations build — on any machine,
 * with no database to set up and none touched.
 */
const command = process.argv[2];
if (command !== 'create' && command !== 'check') {
  process.stderr.write('usage: schema.cli.js create|check [mikro-orm options]\n');
  process.exit(2);
}
const cli = join(dirname(createRequire(import.meta.url).resolve('@mikro-orm/cli/package.json')), 'cli.js');
const scratch = mkdtempSync(join(tmpdir(), 'warranty-schema-'));
chmodSync(scratch, 0o755); // PostgreSQL runs as its own user when we are root
const postgres = await startEmbeddedPostgres(join(scratch, 'postgres'), await freePort());
let code: number;
try {
  await applyMigrations({ url: postgres.url });
  const child = spawn(process.execPath, [cli, `migration:${command}`, ...process.argv.slice(3)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      DATABASE_URL: postgres.url,
      MIKRO_ORM_CLI_CONFIG: 'dist/src/database/mikro-orm.cli-config.js',
      MIKRO_ORM_CLI_PREFER_TS: 'false', // it runs on the compiled entities
    },
  });
  code = await new Promise<number>((resolve) => child.on('exit', (exitCode) => resolve(exitCode ?? 1)));
} finally {
  await postgres.stop();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(code);
