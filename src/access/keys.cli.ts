import { join } from 'node:path';
import pg from 'pg';
import { ConfigError, loadConfig, type AppConfig } from '../config/app-config.js';
import { embeddedUrl, startEmbeddedPostgres } from '../database/embedded-postgres.js';
import { applyMigrations } from '../database/migrate.js';
import { prefixFrom } from './api-key.js';
import type { ApiKeyRecord } from './api-key.repository.js';
import { withApiKeys } from './keys-context.js';

const USAGE = `usage: npm run keys -- create --store <store_uuid>   a key for one store (it may not have posted yet)
       npm run keys -- create --admin                an admin key (everything, all stores)
       npm run keys -- list                          every key: prefix, kind, store, created, last used, revoked
       npm run keys -- revoke <prefix>               revoke a key (takes effect within API_KEY_CACHE_TTL_MS)
The database is DATABASE_URL, or the embedded one under DATA_DIR (the running service's, if it runs).
A new key is printed alone on stdout, once; only its hash is stored.
`;

class UsageError extends Error {}

type Command =
  { name: 'create-store'; storeUuid: string } | { name: 'create-admin' } | { name: 'list' } | { name: 'revoke'; prefix: string };

function parse(args: string[]): Command {
  const [command, ...rest] = args;
  if (command === 'create' && rest[0] === '--admin' && rest.length === 1) return { name: 'create-admin' };
  if (command === 'create' && rest[0] === '--store' && rest.length === 2) return { name: 'create-store', storeUuid: rest[1] };
  if (command === 'list' && rest.length === 0) return { name: 'list' };
  if (command === 'revoke' && rest.length === 1) {
    const prefix = prefixFrom(rest[0]);
    if (!prefix) throw new UsageError(`not a key prefix: "${rest[0]}" (it looks like wsk_store_1a2b3c4d5e6f)`);
    return { name: 'revoke', prefix };
  }
  throw new UsageError(USAGE);
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
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

async function main(): Promise<number> {
  let command: Command;
  try {
    command = parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(error.message.endsWith('\n') ? error.message : `${error.message}\n`);
    return 2;
  }
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
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
