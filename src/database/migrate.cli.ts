import { join } from 'node:path';

const USAGE = `usage: npm run migration:up   applies pending migrations to DATABASE_URL (or the embedded database under DATA_DIR) and exits
`;

/** `npm run migration:up`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length === 1 && ['--help', '-h'].includes(args[0])) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  // Loaded only now, so that usage answers at once.
  const [{ loadConfig }, { startEmbeddedPostgres }, { applyMigrations }] = await Promise.all([
    import('../config/app-config.js'),
    import('./embedded-postgres.js'),
    import('./migrate.js'),
  ]);
  const config = loadConfig();
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres(join(config.dataDir, 'postgres'), config.database.embeddedPort);
  try {
    const applied = await applyMigrations({ url: config.database.url ?? embedded!.url });
    process.stdout.write(applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'No pending migrations.\n');
    return 0;
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A configuration error's message is the whole story (every bad variable, by name).
    const configError = error instanceof Error && error.name === 'ConfigError';
    process.stderr.write(`${configError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
