import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiError } from '../http/api-error.js';
import { sendErrorBody, toErrorBody } from '../http/error-body.js';
import { appConfig, type AppConfig } from '../config/app-config.js';
import type { Caller } from './api-key.js';
import { KeyVerifier } from './key-verifier.js';
import { RateLimiter, type RateDecision } from './rate-limiter.js';

export interface RequestWithCaller extends Request {
  /** Set by AccessGate on every request it let through with a key. */
  caller?: Caller;
}

/** The parts of the service behind the gate, each mounted on its own paths (AppModule, configureApp). */
export type GatedArea = 'api' | 'metrics' | 'docs';

type Requirement = 'none' | 'any-key' | 'admin';

/** Swagger UI's page and assets, the document as JSON and as YAML: one list for Swagger's setup and the gate in front of it. */
export const DOCS_ROUTES = { ui: 'docs', json: 'docs-json', yaml: 'docs-yaml' } as const;
export const DOCS_PATHS = Object.values(DOCS_ROUTES).map((route) => `/${route}`);

/**
 * 429s held at once by this process (each holds its connection and a timer); beyond it, a refusal is
 * sent at once, so holding never ties up more than this many connections.
 */
export const MAX_HELD_REFUSALS = 256;

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const BASIC = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i;

/**
 * Who may reach what (docs/contract/access.md): every `/api/…` request needs a live key (`Authorization: Bearer
 * <key>`); `/metrics` and `/docs` need an admin key when METRICS_ACCESS / DOCS_ACCESS say `admin`;
 * everything else (health, `GET /`) is open. The gate never reads the path: each area's middleware is
 * mounted on the same router, with the same matching rules, as the routes it guards, so every spelling
 * the router serves (case, trailing slash, encoded parameters, absolute-form targets) passes through it.
 * It runs before the body is read. For /docs a browser may also answer the `Basic` challenge with the
 * admin key as the password (browsers cannot send a Bearer header when opening a page).
 * On the API it also spends one token of the key's budget (RateLimiter): over budget → 429, decided in
 * memory before the body is read; every answer to a key with a budget carries the RateLimit-* headers.
 */
@Injectable()
export class AccessGate {
  /** 429s being held right now (holdRefusal). */
  private heldRefusals = 0;

  constructor(
    private readonly verifier: KeyVerifier,
    private readonly limiter: RateLimiter,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  /** The gate of one area, as Nest middleware: a refusal is thrown to the exception filter. */
  middlewareFor(area: GatedArea): (request: RequestWithCaller, response: Response, next: NextFunction) => Promise<void> {
    const requirement = this.requirementOf(area);
    const docs = area === 'docs';
    return async (request, response, next) => {
      if (requirement === 'none') return next();
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
      if (area === 'api' && verdict.budget) {
        const decision = await this.limiter.take(verdict.caller.keyPrefix, verdict.caller.kind, verdict.budget);
        setRateLimitHeaders(response, decision);
        if (!decision.allowed) {
          response.setHeader('Retry-After', String(decision.retryAfterSeconds));
          await this.holdRefusal(response);
          throw new ApiError(
            HttpStatus.TOO_MANY_REQUESTS,
            'RATE_LIMITED',
            `This key is over its budget (${verdict.budget.rate} requests per second, burst ${verdict.budget.burst}); retry after ${decision.retryAfterSeconds} s`,
          );
        }
      }
      next();
    };
  }

  /**
   * The gate of one area as a plain Express handler, for routes outside Nest's router (Swagger UI's):
   * errors are answered here, in the same shape the exception filter gives.
   */
  expressHandlerFor(area: GatedArea): RequestHandler {
    const gate = this.middlewareFor(area);
    return (request, response, next) => {
      gate(request, response, next).catch((error: unknown) => sendErrorBody(response, toErrorBody(error)));
    };
  }

  /**
   * Holds a 429 for RATE_LIMIT_HOLD_MS before it is sent (sooner when the client hangs up). A closed
   * loop of clients that send again the moment they are refused would otherwise be refused as fast as
   * the process can answer — thousands a second, each costing what any answer costs, taken from every
   * other key's requests (docs/performance.md, "Fair capacity"). Held, each of its connections costs
   * one refusal per hold. At most MAX_HELD_REFUSALS at once; the headers stay as decided (Retry-After
   * then errs on the late side, never the early one).
   */
  private async holdRefusal(response: Response): Promise<void> {
    const holdMs = this.config.access.refusalHoldMs;
    if (holdMs === 0 || this.heldRefusals >= MAX_HELD_REFUSALS) return;
    this.heldRefusals++;
    try {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          response.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, holdMs);
        response.once('close', done);
      });
    } finally {
      this.heldRefusals--;
    }
  }

  private requirementOf(area: GatedArea): Requirement {
    switch (area) {
      case 'api':
        return 'any-key';
      case 'metrics':
        return this.config.access.metrics === 'admin' ? 'admin' : 'none';
      case 'docs':
        return this.config.access.docs === 'admin' ? 'admin' : 'none';
    }
  }
}

/** RateLimit-Limit / -Remaining / -Reset (seconds), on every answer to a key with a budget, refusals and later errors included. */
function setRateLimitHeaders(response: Response, decision: RateDecision): void {
  response.setHeader('RateLimit-Limit', String(decision.limit));
  response.setHeader('RateLimit-Remaining', String(decision.remaining));
  response.setHeader('RateLimit-Reset', String(decision.resetSeconds));
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
