import 'reflect-metadata';
import type { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { AccessGate, DOCS_PATHS } from './access/access.gate.js';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { applyHttpSecurity } from './common/http-security.js';
import { JsonLogger } from './common/logger.js';
import { RequestContextMiddleware } from './common/request-context.middleware.js';
import { HttpMetrics } from './metrics/http-metrics.js';
import { buildOpenApiDocument } from './openapi/openapi-document.js';

/** How the application is created, by main.ts (NestFactory) and by the tests (a Nest testing module) alike. */
export function appOptions(config: AppConfig): NestApplicationOptions {
  return { bodyParser: false, logger: new JsonLogger(config.logLevel) };
}

/**
 * What every instance of the application gets on top of AppModule: Express settings, the first
 * middleware, security headers and CORS, Swagger. The OpenAPI dump (no database) uses it too.
 */
export function configureApp(app: NestExpressApplication, config: Pick<AppConfig, 'corsOrigins'>): NestExpressApplication {
  app.disable('x-powered-by');
  app.set('etag', false);
  // First in line for every request (Swagger's routes, CORS preflights and unmatched paths included): request id, access log, metrics.
  const requestContext = new RequestContextMiddleware(app.get(HttpMetrics));
  app.use(requestContext.use.bind(requestContext));
  applyHttpSecurity(app, config.corsOrigins);
  // Swagger UI's routes are outside Nest's router: the access gate (DOCS_ACCESS) goes in front of them here.
  app.use(DOCS_PATHS, app.get(AccessGate).expressHandler());
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** The whole application; its configuration comes from the environment (DATABASE_URL resolved by main.ts). */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  return configureApp(await NestFactory.create<NestExpressApplication>(AppModule, appOptions(config)), config);
}
