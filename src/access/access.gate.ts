import { HttpStatus, Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiError } from '../common/api-error.js';
import { sendErrorBody, toErrorBody } from '../common/error-body.js';
import { appConfig, type AppConfig } from '../config/app-config.js';
import type { Caller } from './api-key.js';
import { KeyVerifier } from './key-verifier.js';

export interface RequestWithCaller extends Request {
  /** Set by AccessGate on every request it let through with a key. */
  caller?: Caller;
}

type Requirement = 'none' | 'any-key' | 'admin';

/** Swagger UI's own path and the document's (the Swagger routes live outside Nest's router). */
export const DOCS_PATHS = ['/docs', '/docs-json'];

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const BASIC = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i;

/**
 * Who may reach what (SPEC, Access): every `/api/…` request needs a live key (`Authorization: Bearer
 * <key>`); `/metrics` and `/docs` need an admin key when METRICS_ACCESS / DOCS_ACCESS say `admin`;
 * everything else (health, `GET /`) is open. Runs before the body is read, so a request without a
 * valid key gets 401 whatever it carries. For /docs a browser may also answer the `Basic` challenge
 * with the admin key as the password (browsers cannot send a Bearer header when opening a page).
 */
@Injectable()
export class AccessGate implements NestMiddleware {
  constructor(
    private readonly verifier: KeyVerifier,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  async use(request: RequestWithCaller, response: Response, next: NextFunction): Promise<void> {
    // The full path: where the gate is mounted on a path, Express makes `request.path` relative to it.
    const path = request.originalUrl.split('?')[0];
    const requirement = this.requirementOf(path);
    if (requirement === 'none') return next();
    const docs = DOCS_PATHS.some((docsPath) => path === docsPath || path.startsWith(`${docsPath}/`));
    const verdict = await this.verifier.verify(keyFrom(request.headers.authorization, docs));
    if (!verdict.ok) {
      response.setHeader('WWW-Authenticate', docs ? 'Bearer, Basic realm="warranty-service docs", charset="UTF-8"' : 'Bearer');
      throw verdict.reason === 'missing'
        ? new ApiError(HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED', 'An API key is required: send Authorization: Bearer <key>')
        : new ApiError(HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED', 'The API key is not valid (unknown or revoked)');
    }
    if (requirement === 'admin' && verdict.caller.kind !== 'admin') {
      throw new ApiError(HttpStatus.FORBIDDEN, 'FORBIDDEN', 'This endpoint needs an admin key');
    }
    request.caller = verdict.caller;
    next();
  }

  private requirementOf(path: string): Requirement {
    if (path === '/api' || path.startsWith('/api/')) return 'any-key';
    if (path === '/metrics' || path.startsWith('/metrics/')) return this.config.access.metrics === 'admin' ? 'admin' : 'none';
    if (DOCS_PATHS.some((docs) => path === docs || path.startsWith(`${docs}/`)))
      return this.config.access.docs === 'admin' ? 'admin' : 'none';
    return 'none';
  }

  /**
   * The gate as a plain Express handler, for routes outside Nest's router (Swagger UI's): errors are
   * answered here, in the same shape the exception filter gives.
   */
  expressHandler(): RequestHandler {
    return (request, response, next) => {
      this.use(request, response, next).catch((error: unknown) => sendErrorBody(response, toErrorBody(error)));
    };
  }
}

/** The key a request carries: `Bearer <key>`; for the docs also `Basic` with the key as the password. */
function keyFrom(header: string | undefined, allowBasic: boolean): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const bearer = BEARER.exec(header);
  if (bearer) return bearer[1];
  const basic = allowBasic ? BASIC.exec(header) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return ''; // present but not a key: refused as malformed
}
