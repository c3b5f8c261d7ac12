import 'reflect-metadata';
import type { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { applyHttpSecurity } from './common/http-security.js';
import { RequestContextMiddleware } from './common/request-context.middleware.js';
import { HttpMetrics } from './metrics/http-metrics.js';
import { buildOpenApiDocument } from './openapi/openapi-document.js';

/** How the application is created, by main.ts (NestFactory) and by the tests (a Nest testing module) alike. */
export function appOptions(): NestApplicationOptions {
  // Logs are held until the pino logger (LoggerModule) takes over in configureApp.
  return { bodyParser: false, bufferLogs: true };
}

/**
 * What every instance of the application gets on top of AppModule: Express settings, the first
 * middleware, security headers and CORS, Swagger. The OpenAPI dump (no database) uses it too.
 */
export function configureApp(app: NestExpressApplication, config: Pick<AppConfig, 'corsOrigins'>): NestExpressApplication {
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('etag', false);
  // First in line for every request (Swagger's routes, CORS preflights and unmatched paths included): request id, access log, metrics.
  const requestContext = new RequestContextMiddleware(app.get(HttpMetrics));
  app.use(requestContext.use.bind(requestContext));
  applyHttpSecurity(app, config.corsOrigins);
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** The whole application; its configuration comes from the environment (DATABASE_URL resolved by main.ts). */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  return configureApp(await NestFactory.create<NestExpressApplication>(AppModule, appOptions()), config);
}
