import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { appConfig, loadConfig, type AppConfig } from '../config/app-config.js';
import { DatabaseModule } from '../database/database.module.js';
import { ApiKeysModule } from './api-keys.module.js';
import { ApiKeysService } from './api-keys.service.js';

/** The given configuration as `appConfig.KEY`, for a context that has no ConfigModule. */
@Module({})
class GivenConfigModule {
  static of(config: AppConfig): DynamicModule {
    return { module: GivenConfigModule, global: true, providers: [{ provide: appConfig.KEY, useValue: config }], exports: [appConfig.KEY] };
  }
}

@Module({})
class KeysContextModule {
  static over(config: AppConfig): DynamicModule {
    return { module: KeysContextModule, imports: [GivenConfigModule.of(config), DatabaseModule, ApiKeysModule] };
  }
}

/**
 * Runs `work` with ApiKeysService over the database at `url`, in a small Nest application context
 * (the access module's repository on MikroORM, as in the service), then closes it. Used by
 * `npm run keys`, the development key at start-up, and the tests' service processes.
 */
export async function withApiKeys<T>(url: string, work: (keys: ApiKeysService) => Promise<T>): Promise<T> {
  const config = loadConfig({ DATABASE_URL: url, DB_POOL_SIZE: '1', DB_ACQUIRE_TIMEOUT_MS: '10000', LOG_LEVEL: 'error' });
  const context = await NestFactory.createApplicationContext(KeysContextModule.over(config), { logger: false, abortOnError: false });
  try {
    return await work(context.get(ApiKeysService));
  } finally {
    await context.close();
  }
}
