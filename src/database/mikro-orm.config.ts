import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../../migrations/index.js';
import type { PgConnectionOptions } from '../config/database-url.js';

export interface OrmSettings {
  /** From databaseConnection(DATABASE_URL): never a URL here, which MikroORM would read only in part. */
  connection: PgConnectionOptions;
  poolSize: number;
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * MikroORM's settings for this service, without entities: the application gets them from each
 * module's `MikroOrmModule.forFeature` (autoLoadEntities), the CLI by discovering `*.entity.js`.
 */
export function ormOptions(settings: OrmSettings) {
  const { host, port, user, password, database, application_name, ssl } = settings.connection;
  return defineConfig({
    host,
    port,
    user,
    password,
    dbName: database,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    // The database exists (the embedded start-up creates it; a deploy provides it): no check on connect.
    ensureDatabase: false,
    pool: { min: 0, max: settings.poolSize, idleTimeoutMillis: 30000 },
    // Passed to pg's Pool so that no request can hang on the database: a connection is handed out
    // within acquireTimeoutMs (else 503); the server cancels statements past statementTimeoutMs; and,
    // should the network itself go silent, the client gives up one second after that.
    driverOptions: {
      connectionTimeoutMillis: settings.acquireTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      query_timeout: settings.statementTimeoutMs + 1000,
      keepAlive: true,
      application_name,
      ssl,
    },
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false, snapshotOnMigrate: false, silent: true },
    debug: false,
  });
}
