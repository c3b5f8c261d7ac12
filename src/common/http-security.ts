import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { ConfigError } from '../config/app-config.js';

/** Browser-facing HTTP settings, read from the environment when the app is built (see README, "What is exposed"). */
export interface HttpSecurityConfig {
  /** Origins allowed to call the API from a browser (CORS). Empty: CORS off, no CORS headers at all. */
  corsOrigins: string[];
}

/**
 * `CORS_ORIGINS`: a comma-separated allow-list of exact origins (`https://shop.example.com`,
 * `http://localhost:5173`). Absent or empty: CORS off. `*` is refused: an allow-list is the point.
 */
export function loadHttpSecurityConfig(env: NodeJS.ProcessEnv = process.env): HttpSecurityConfig {
  const raw = env.CORS_ORIGINS?.trim() ?? '';
  if (raw === '') return { corsOrigins: [] };
  const problems: string[] = [];
  const corsOrigins: string[] = [];
  for (const entry of raw.split(',').map((part) => part.trim())) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if (['http:', 'https:'].includes(url.protocol) && url.origin === entry) origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin) corsOrigins.push(origin);
    else
      problems.push(
        `CORS_ORIGINS entries must be origins like https://shop.example.com (scheme, host, optional port; no path, no *) (got "${entry}")`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { corsOrigins: [...new Set(corsOrigins)] };
}

/**
 * Security headers (helmet) and CORS. The Content-Security-Policy is helmet's default, which Swagger
 * UI at /docs runs under (a browser test checks it): scripts only from 'self' — @nestjs/swagger
 * serves Swagger UI's start-up code as a file, not inline — inline styles (Swagger UI sets them) and
 * `data:` images (its icons), styles no longer from any https: origin. `upgrade-insecure-requests` is
 * dropped: over plain HTTP on a LAN address it would make the browser fetch the docs' scripts over
 * HTTPS, which fails. HSTS does not claim the parent domain's other subdomains.
 */
export function applyHttpSecurity(app: NestExpressApplication, config: HttpSecurityConfig): void {
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
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    });
  }
}
