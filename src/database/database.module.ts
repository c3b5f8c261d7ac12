import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/app-config.js';
import { Database } from './database.js';
import { PgDatabase } from './pg-database.js';
import { mikroOrmConfig } from './mikro-orm.config.js';

const CLOSE_TIMEOUT_MS = 5000;

@Global()
@Module({
  providers: [
    {
      provide: MikroORM,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        if (!config.database.url) throw new Error('DATABASE_URL must be resolved before the application module starts');
        return MikroORM.init(mikroOrmConfig({ ...config.database, url: config.database.url }));
      },
    },
    {
      provide: Database,
      inject: [MikroORM],
      useFactory: (orm: MikroORM) => new PgDatabase(orm.em.getConnection().getNativeClient()),
    },
  ],
  exports: [Database, MikroORM],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(MikroORM) private readonly orm: MikroORM) {}

  async onApplicationShutdown(): Promise<void> {
    // Never let a stuck connection hold the process past shutdown.
    await Promise.race([this.orm.close(true), new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]);
  }
}
