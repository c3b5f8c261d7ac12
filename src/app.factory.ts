import 'reflect-metadata';
import type { NestApplicationOptions } from '@nestjs/common';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger, PinoLogger } from 'nestjs-pino';
import { AccessGate, DOCS_PATHS, DOCS_ROUTES } from './access/access.gate.js';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { applyHttpSecurity } from './http/http-security.js';
import { guardHttpServer, HTTP_SERVER_REFUSALS, requireHost } from './http/http-server-guards.js';
import { AccessLog } from './http/access-log.js';
import { RequestContextMiddleware } from './http/request-context.middleware.js';
import { nestLogger } from './http/logging.js';
import { HttpMetrics } from './metrics/http-metrics.js';
import { buildOpenApiDocument } from './openapi/openapi-document.js';
import { ERROR_CODES } from './error-codes.js';

/** How the application is created, by server.ts (NestFactory) and by the tests (a Nest testing module) alike. */
export function appOptions(): NestApplicationOptions {
  // Logs are held until the pino logger (LoggerModule) takes over in configureApp. A failure while the
  // modules are built is thrown (Nest would exit the process itself), so server.ts can stop what it started.
  return { bodyParser: false, bufferLogs: true, abortOnError: false };
}

/**
 * What every instance of the application gets on top of AppModule: Express settings, the first
 * middleware, the HTTP server's limits and its own answers in our shape, security headers and CORS,
 * Swagger.
 */
export function configureApp(app: NestExpressApplication, config: Pick<AppConfig, 'corsOrigins' | 'http'>): NestExpressApplication {
  app.useLogger(nestLogger(app.get(Logger)));
  app.disable('x-powered-by');
  app.set('etag', false);
  // First in line for every request (Swagger's routes, CORS preflights and unmatched paths included):
  // request id, metrics, access line (through the root logger LoggerModule made).
  const metrics = app.get(HttpMetrics);
  const requestContext = new RequestContextMiddleware(metrics, new AccessLog(PinoLogger.root));
  app.use(requestContext.use.bind(requestContext));
  app.use(requireHost);
  // Answers Node's HTTP layer gives before any middleware runs (bad request line, timeouts, …) take our shape too.
  const refused = 'refused by the HTTP server';
  metrics.expect('-', refused, HTTP_SERVER_REFUSALS);
  guardHttpServer(app.getHttpServer() as Server, config.http, (status) => metrics.observe('-', refused, status, 0));
  applyHttpSecurity(app, config.corsOrigins);
  // Swagger UI's routes are outside Nest's router: the docs gate (DOCS_ACCESS) is mounted in front of
  // every path Swagger serves (page, assets, JSON, YAML), on the same router.
  app.use(DOCS_PATHS, app.get(AccessGate).expressHandlerFor('docs'));
  SwaggerModule.setup(DOCS_ROUTES.ui, app, buildOpenApiDocument(app, ERROR_CODES), {
    jsonDocumentUrl: DOCS_ROUTES.json,
    yamlDocumentUrl: DOCS_ROUTES.yaml,
  });
  return app;
}

/** The whole application; its configuration comes from the environment (DATABASE_URL resolved by server.ts). */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  return configureApp(await NestFactory.create<NestExpressApplication>(AppModule, appOptions()), config);
}
