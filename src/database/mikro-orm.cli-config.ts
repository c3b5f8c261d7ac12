import { databaseConnection } from '../config/database-url.js';
import { ormOptions } from './mikro-orm.config.js';

/**
 * The configuration `@mikro-orm/cli` loads (package.json "mikro-orm".configPaths), for
 * `npm run migration:create` and `npm run migration:check` (src/database/schema.cli.ts gives it a
 * scratch database in DATABASE_URL). Entities are discovered from the compiled modules, so this file
 * names no domain; new migrations are written as TypeScript into migrations/.
 */
const base = ormOptions({
  connection: (await databaseConnection(process.env.DATABASE_URL ?? 'postgresql://127.0.0.1/warranty')).options,
  poolSize: 2,
  acquireTimeoutMs: 10000,
  statementTimeoutMs: 600000,
});

export default {
  ...base,
  entities: ['dist/src/**/*.entity.js'],
  migrations: {
    ...base.migrations,
    migrationsList: undefined,
    path: 'migrations',
    emit: 'ts' as const,
    fileName: (timestamp: string, name?: string) => `Migration${timestamp}_${name ?? 'schema'}`,
  },
};
