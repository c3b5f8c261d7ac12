import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { JsonLogger } from './common/logger.js';
import { RequestContextMiddleware } from './common/request-context.middleware.js';
import { loadHttpLimits, type HttpLimits } from './common/http-limits.js';
import { guardHttpServer, requireHost } from './common/http-server-guards.js';
import { HttpMetrics } from './metrics/http-metrics.js';

/**
 * Builds the whole application (used by main.ts and by the end-to-end tests alike). The HTTP limits
 * (timeouts, connection bound) come from the environment unless given.
 */
export async function createApp(
  config: AppConfig & { database: { url: string } },
  limits: HttpLimits = loadHttpLimits(),
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: new JsonLogger(config.logLevel),
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  // First in line for every request (Swagger's routes and unmatched paths included): request id, access log, metrics.
  const metrics = app.get(HttpMetrics);
  const requestContext = new RequestContextMiddleware(metrics);
  app.use(requestContext.use.bind(requestContext));
  app.use(requireHost);
  // Answers Node's HTTP layer gives before any middleware runs (bad request line, timeouts, …) take our shape too.
  guardHttpServer(app.getHttpServer() as Server, limits, (status) => metrics.observe('-', 'refused by the HTTP server', status, 0));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Warranty service')
      .setDescription('Stores submit items and get protection plans (warranties) priced from the item type and cost.')
      .setVersion('1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
