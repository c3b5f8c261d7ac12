import { prefixFrom } from './api-key.js';
import type { KeysCommand } from './keys-commands.js';
import { errorText } from '../common/error-text.js';

const USAGE = `usage: npm run keys -- create --store <store_uuid>   a key for one store (it may not have posted yet)
       npm run keys -- create --admin                an admin key (everything, all stores)
       npm run keys -- list                          every key: prefix, kind, store, created, last used, revoked
       npm run keys -- revoke <prefix>               revoke a key (takes effect within API_KEY_CACHE_TTL_MS)
       npm run keys -- --help                        this text
The database is DATABASE_URL, or the embedded one under DATA_DIR (the running service's, if it runs).
A new key is printed alone on stdout, once; only its hash is stored (npm run -s: without npm's banner).
In production this is how the first admin key is made, e.g. docker compose run --rm app npm run -s keys -- create --admin
`;

class UsageError extends Error {}

function parse(args: string[]): KeysCommand | 'help' {
  const [command, ...rest] = args;
  if (['--help', '-h', 'help'].includes(command) && rest.length === 0) return 'help';
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

/** `npm run keys`: the arguments first, so usage and --help answer at once; the database code loads only for a command. */
async function main(): Promise<number> {
  let command: KeysCommand | 'help';
  try {
    command = parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(error.message.endsWith('\n') ? error.message : `${error.message}\n`);
    return 2;
  }
  if (command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const { runKeysCommand } = await import('./keys-commands.js');
  return runKeysCommand(command);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${errorText(error)}\n`);
    process.exit(1);
  },
);
