import { parseArgs } from 'node:util';
import { prefixFrom } from './api-key.js';
import type { Budget } from './budget.js';
import type { KeysCommand } from './keys-commands.js';
import { errorText } from '../common/error-text.js';

const USAGE = `usage: npm run keys -- create --store <store_uuid>   a key for one store (it may not have posted yet)
       npm run keys -- create --admin                an admin key (everything, all stores)
       npm run keys -- list                          every key: prefix, kind, store, budget, created, last used, revoked
       npm run keys -- revoke <prefix>               revoke a key (takes effect within API_KEY_CACHE_TTL_MS)
       npm run keys -- budget <prefix> --rate N --burst N
                                                     give a key its own rate limit: N requests per second, N at most at once
       npm run keys -- budget <prefix> --default     take it away again: RATE_LIMIT_RATE/RATE_LIMIT_BURST for a store key,
                                                     unlimited for an admin key
       npm run keys -- --help                        this text
create also takes --rate N --burst N (both; whole numbers, at least 1). A budget change takes effect on every
instance within API_KEY_CACHE_TTL_MS.
The database is DATABASE_URL, or the embedded one under DATA_DIR (the running service's, if it runs).
A new key is printed alone on stdout, once; only its hash is stored (npm run -s: without npm's banner).
In production this is how the first admin key is made, e.g. docker compose run --rm app npm run -s keys -- create --admin
`;

class UsageError extends Error {}

/** `--rate N --burst N`: both or neither (undefined); anything else is a usage error naming the flag. */
function budgetFrom(values: { rate?: string; burst?: string }): Budget | undefined {
  if (values.rate === undefined && values.burst === undefined) return undefined;
  if (values.rate === undefined || values.burst === undefined) throw new UsageError('--rate and --burst go together: give both');
  const number = (flag: string, raw: string) => {
    // The upper bound is ApiKeysService's to check: this file loads nothing before the arguments are understood.
    if (!/^[1-9]\d{0,15}$/.test(raw)) throw new UsageError(`--${flag} must be a whole number of at least 1 (got "${raw}")`);
    return Number(raw);
  };
  return { rate: number('rate', values.rate), burst: number('burst', values.burst) };
}

function prefixArgument(text: string): string {
  const prefix = prefixFrom(text);
  if (!prefix) throw new UsageError(`not a key prefix: "${text}" (it looks like wsk_store_1a2b3c4d5e6f)`);
  return prefix;
}

function parse(args: string[]): KeysCommand | 'help' {
  const [command, ...rest] = args;
  if (['--help', '-h', 'help'].includes(command) && rest.length === 0) return 'help';
  if (command === 'list' && rest.length === 0) return { name: 'list' };
  if (command === 'revoke' && rest.length === 1) return { name: 'revoke', prefix: prefixArgument(rest[0]) };
  if (command !== 'create' && command !== 'budget') throw new UsageError(USAGE);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: command === 'budget',
      options: {
        store: { type: 'string' },
        admin: { type: 'boolean' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        default: { type: 'boolean' },
      },
    });
  } catch {
    throw new UsageError(USAGE);
  }
  const { values, positionals } = parsed;
  const budget = budgetFrom(values);
  if (command === 'create') {
    if (values.default || (values.admin === undefined) === (values.store === undefined)) throw new UsageError(USAGE);
    return values.admin ? { name: 'create-admin', budget } : { name: 'create-store', storeUuid: values.store!, budget };
  }
  if (positionals.length !== 1 || values.store !== undefined || values.admin !== undefined) throw new UsageError(USAGE);
  if (Boolean(values.default) === (budget !== undefined)) throw new UsageError('budget takes --rate N --burst N, or --default');
  return { name: 'budget', prefix: prefixArgument(positionals[0]), budget: budget ?? null };
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
