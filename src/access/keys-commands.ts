import { join } from 'node:path';
import pg from 'pg';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { databaseConnection } from '../config/database-url.js';
import { embeddedUrl, startEmbeddedPostgres } from '../database/embedded-postgres.js';
import { applyMigrations } from '../database/migrate.js';
import type { ApiKeyRecord } from './api-key.repository.js';
import { withApiKeys } from './keys-context.js';

/** What `npm run keys` was asked to do (src/access/keys.cli.ts parses it). */
export type KeysCommand =
  { name: 'create-store'; storeUuid: string } | { name: 'create-admin' } | { name: 'list' } | { name: 'revoke'; prefix: string };

/** PostgreSQL's "undefined_table": the keys table is not there because the migrations were never applied. */
const UNDEFINED_TABLE = '42P01';

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ ...(await databaseConnection(url)).options, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * DATABASE_URL; else the embedded server: the running one (a second process cannot start the same data
 * folder, so while the service runs we connect to it), or one started for this command and stopped after.
 */
async function openDatabase(config: AppConfig): Promise<{ url: string; close(): Promise<void> }> {
  if (config.database.url) return { url: config.database.url, close: async () => undefined };
  const running = embeddedUrl(config.database.embeddedPort);
  if (await reachable(running)) return { url: running, close: async () => undefined };
  const embedded = await startEmbeddedPostgres(join(config.dataDir, 'postgres'), config.database.embeddedPort);
  try {
    await applyMigrations({ url: embedded.url });
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return { url: embedded.url, close: () => embedded.stop() };
}

const when = (date: Date | null) => (date ? date.toISOString() : '-');

function table(records: ApiKeyRecord[]): string {
  const rows = [
    ['prefix', 'kind', 'store_uuid', 'created_at', 'last_used_at', 'revoked_at'],
    ...records.map((r) => [r.prefix, r.kind, r.storeUuid ?? '-', when(r.createdAt), when(r.lastUsedAt), when(r.revokedAt)]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Runs one command against the configured database; resolves with the exit code. */
export async function runKeysCommand(command: KeysCommand): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    return await withApiKeys(database.url, async (keys) => {
      switch (command.name) {
        case 'create-admin':
        case 'create-store': {
          const { key, record } = await keys.issue(
            command.name === 'create-admin' ? { kind: 'admin' } : { kind: 'store', storeUuid: command.storeUuid },
          );
          process.stderr.write(
            `Created ${record.kind} key ${record.prefix}${record.storeUuid ? ` for store ${record.storeUuid}` : ''}. ` +
              'It is shown only now (only its hash is stored); send it as "Authorization: Bearer <key>":\n',
          );
          process.stdout.write(`${key}\n`);
          return 0;
        }
        case 'list':
          process.stdout.write(table(await keys.list()));
          return 0;
        case 'revoke':
          if (await keys.revoke(command.prefix)) {
            process.stdout.write(`Revoked ${command.prefix} (refused everywhere within API_KEY_CACHE_TTL_MS, default 30 s).\n`);
            return 0;
          }
          process.stderr.write(`No live key with prefix ${command.prefix} (unknown, or already revoked).\n`);
          return 1;
      }
    });
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNDEFINED_TABLE) throw error;
    throw new Error('the database has no keys table yet: apply the migrations first (npm run migration:up, or start the service once)', {
      cause: error,
    });
  } finally {
    await database.close();
  }
}
