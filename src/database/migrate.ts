import { MikroORM } from '@mikro-orm/postgresql';
import { databaseConnection } from '../config/database-url.js';
import { ormOptions } from './mikro-orm.config.js';

/** Applies pending migrations and returns their names. Used at start-up and by `npm run migration:up`. */
export async function applyMigrations(settings: { url: string }): Promise<string[]> {
  const { options: connection } = await databaseConnection(settings.url);
  const orm = await MikroORM.init(ormOptions({ connection, poolSize: 1, acquireTimeoutMs: 10000, statementTimeoutMs: 600000 }));
  try {
    const applied = await orm.migrator.up();
    return applied.map((migration) => migration.name);
  } finally {
    await orm.close(true);
  }
}
