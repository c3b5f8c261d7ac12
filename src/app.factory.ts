import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config/app-config.js';
import { applyHttpSecurity, loadHttpSecurityConfig } from './common/http-security.js';
import { JsonLogger } from './common/logger.js';
import { RequestContextMiddleware } from './common/request-context.middleware.js';
import { HttpMetrics } from './metrics/http-metrics.js';
import { buildOpenApiDocument } from './openapi/openapi-document.js';
import { RootModule } from './root/root.module.js';

/**
 * Builds the whole application (used by main.ts and by the end-to-end tests alike). `env` is where
 * the browser-facing settings (CORS_ORIGINS) are read; see src/common/http-security.ts.
 */
export async function createApp(
  config: AppConfig & { database: { url: string } },
  env: NodeJS.ProcessEnv = process.env,
): Promise<NestExpressApplication> {
  const security = loadHttpSecurityConfig(env);
  const app = await NestFactory.create<NestExpressApplication>(RootModule.forRoot(config), {
    bodyParser: false,
    logger: new JsonLogger(config.logLevel),
  });
  configureHttp(app, security);
  return app;
}

/** Middleware and docs of the HTTP app, apart from how its module is created (the OpenAPI dump builds it without a database). */
export function configureHttp(app: NestExpressApplication, security = loadHttpSecurityConfig()): void {
  app.disable('x-powered-by');
  app.set('etag', false);
  // First in line for every request (Swagger's routes, CORS preflights and unmatched paths included): request id, access log, metrics.
  const requestContext = new RequestContextMiddleware(app.get(HttpMetrics));
  app.use(requestContext.use.bind(requestContext));
  applyHttpSecurity(app, security);
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
