import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { LoggerModule } from 'nestjs-pino';
import { AccessGate } from './access/access.gate.js';
import { AccessModule } from './access/access.module.js';
import { ArchiveModule } from './archive/archive.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { JsonBodyMiddleware, LargeJsonBodyMiddleware } from './common/json-body.middleware.js';
import { loggerParams } from './common/logging.js';
import { RequestValidationPipe } from './common/validation.pipe.js';
import { appConfig, type AppConfig } from './config/app-config.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RootModule } from './root/root.module.js';
import { WarrantiesModule } from './warranties/warranties.module.js';

@Module({
  imports: [
    // Reads `.env` (if any) into the environment, then the validated configuration (appConfig).
    ConfigModule.forRoot({ isGlobal: true, cache: true, load: [appConfig] }),
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: AppConfig) => loggerParams(config.logLevel, config.logFormat),
    }),
    EventEmitterModule.forRoot({ wildcard: false }),
    MetricsModule,
    DatabaseModule,
    AccessModule,
    WarrantiesModule,
    ArchiveModule,
    HealthModule,
    RootModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
    { provide: APP_PIPE, useClass: RequestValidationPipe },
  ],
})
export class AppModule implements NestModule {
  constructor(private readonly gate: AccessGate) {}

  configure(consumer: MiddlewareConsumer): void {
    // Each gate is mounted by the router that serves the routes it guards, with the same matching
    // rules, so it holds in every spelling of their paths. API keys first: a request without a valid
    // key is refused before its body is read. Bodies are read on the API only (elsewhere: 404 unread).
    const api = { path: 'api/{*path}', method: RequestMethod.ALL };
    consumer.apply(this.gate.middlewareFor('api')).forRoutes(api);
    consumer.apply(this.gate.middlewareFor('metrics')).forRoutes({ path: 'metrics', method: RequestMethod.ALL });
    // Up to 1 MiB: a catalogue batch, and a pricing version (its store list may be long).
    const large = [
      { path: 'api/warranties/batch', method: RequestMethod.POST },
      { path: 'api/pricing/versions', method: RequestMethod.POST },
    ];
    consumer.apply(LargeJsonBodyMiddleware).forRoutes(...large);
    consumer
      .apply(JsonBodyMiddleware)
      .exclude(...large)
      .forRoutes(api);
  }
}
