import { Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Registry } from 'prom-client';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { ConnectionProbe } from './connection-probe.js';
import { DatabaseOutage } from './database-outage.js';
import { databaseConnection } from './database-url.js';
import { ormOptions } from './mikro-orm.config.js';
import { DatabaseNotifications } from './notifications.js';
import { registerPoolMetrics } from './pool-metrics.js';
import { Sql } from './sql.js';

/**
 * MikroORM for the whole application. Entities are not listed here: each module registers its own
 * with `MikroOrmModule.forFeature` and `autoLoadEntities` collects them. Repositories fork the
 * EntityManager for their ORM work, so no per-request context middleware is needed.
 */
@Global()
@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      driver: PostgreSqlDriver,
      inject: [appConfig.KEY],
      useFactory: async (config: AppConfig) => {
        if (!config.database.url) throw new Error('DATABASE_URL must be resolved before the application module starts');
        const { options: connection } = await databaseConnection(config.database.url, config.database.acquireTimeoutMs);
        return { ...ormOptions({ ...config.database, connection }), autoLoadEntities: true, registerRequestContext: false };
      },
    }),
  ],
  providers: [
    DatabaseOutage,
    DatabaseNotifications,
    {
      provide: ConnectionProbe,
      inject: [MikroORM],
      useFactory: (orm: MikroORM) => new ConnectionProbe(orm.em.getConnection().getNativeClient()),
    },
    {
      provide: Sql,
      inject: [MikroORM, DatabaseOutage, appConfig.KEY],
      // A lost COMMIT reply is looked into for as long as a statement may take.
      useFactory: (orm: MikroORM, outage: DatabaseOutage, config: AppConfig) =>
        new Sql(orm.em.getConnection().getNativeClient(), outage, { outcomeTimeoutMs: config.database.statementTimeoutMs }),
    },
    {
      // The application's registry (MetricsModule); a module compiled without it has no pool metrics.
      provide: 'PoolMetrics',
      inject: [MikroORM, { token: Registry, optional: true }],
      useFactory: (orm: MikroORM, registry?: Registry) =>
        registry && registerPoolMetrics(registry, orm.em.getConnection().getNativeClient()),
    },
  ],
  exports: [Sql, DatabaseOutage, ConnectionProbe, DatabaseNotifications],
})
export class DatabaseModule {}
