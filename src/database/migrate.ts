import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions, type OrmSettings } from './mikro-orm.config.js';

/** Applies pending migrations and returns their names. Used at start-up and by `npm run migration:up`. */
export async function applyMigrations(settings: Pick<OrmSettings, 'url'>): Promise<string[]> {
  const orm = await MikroORM.init(ormOptions({ url: settings.url, poolSize: 1, acquireTimeoutMs: 10000, statementTimeoutMs: 600000 }));
  try {
    const applied = await orm.migrator.up();
    return applied.map((migration) => migration.name);
  } finally {
    await orm.close(true);
  }
}
