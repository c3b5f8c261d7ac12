import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';

/**
 * Security headers (helmet) and CORS. The Content-Security-Policy is helmet's default, which Swagger
 * UI at /docs runs under (a browser test checks it): scripts only from 'self' — @nestjs/swagger
 * serves Swagger UI's start-up code as a file, not inline — inline styles (Swagger UI sets them) and
 * `data:` images (its icons), styles no longer from any https: origin. `upgrade-insecure-requests` is
 * dropped: over plain HTTP on a LAN address it would make the browser fetch the docs' scripts over
 * HTTPS, which fails. HSTS does not claim the parent domain's other subdomains.
 */
/** `corsOrigins`: the validated CORS_ORIGINS allow-list (AppConfig); empty: CORS off, no CORS headers at all. */
export function applyHttpSecurity(app: NestExpressApplication, corsOrigins: readonly string[]): void {
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          'upgrade-insecure-requests': null,
        },
      },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
    }),
  );
  if (corsOrigins.length > 0) {
    app.enableCors({
      origin: [...corsOrigins],
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    });
  }
}
