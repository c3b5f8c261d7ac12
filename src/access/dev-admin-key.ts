import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withApiKeys } from './keys-context.js';

export const DEV_ADMIN_KEY_FILE = 'dev-admin-key';

/**
 * On the embedded default (never in production, never with DATABASE_URL): makes sure there is one
 * development admin key, so `npm start` is all it takes to try the API. The first start issues it,
 * prints it once and keeps it in `DATA_DIR/dev-admin-key` (mode 0600, the key alone on one line);
 * later starts reuse it and say where it is. A file whose key this database does not know (the
 * database folder was deleted, or the key revoked) is replaced by a new key.
 */
export async function ensureDevAdminKey(
  databaseUrl: string,
  dataDir: string,
  log: (message: string, fields: Record<string, unknown>) => void,
): Promise<void> {
  const file = join(dataDir, DEV_ADMIN_KEY_FILE);
  await withApiKeys(databaseUrl, async (keys) => {
    const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    const live = kept ? await keys.findLive(kept) : undefined;
    if (live?.kind === 'admin') {
      log(`development admin key: in ${file} (curl -H "Authorization: Bearer $(cat ${file})" …)`, {
        dev_admin_key_file: file,
        key_prefix: live.prefix,
      });
      return;
    }
    const { key, record } = await keys.issue({ kind: 'admin' });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // the mode above applies only when the file is new
    log(`DEVELOPMENT ADMIN KEY (shown once; kept in ${file}): ${key}`, { dev_admin_key_file: file, key_prefix: record.prefix });
  });
}
