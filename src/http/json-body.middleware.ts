import { HttpStatus, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import { ApiError } from './api-error.js';
import { jsonBodyProblems, withoutProblems } from './json-body-check.js';
import type { RequestWithBodyProblems } from './request-context.js';

export const MAX_BODY_BYTES = 16 * 1024;
/** Routes that take more (a catalogue batch: up to 1 MiB), mounted with LargeJsonBodyMiddleware. */
export const MAX_LARGE_BODY_BYTES = 1024 * 1024;

const describeSize = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`);

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** body-parser's error types, as the client should see them. */
function parserError(error: { type?: string }, limitBytes: number): ApiError {
  switch (error.type) {
    case 'entity.too.large':
      return new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, 'PAYLOAD_TOO_LARGE', `Request body is larger than ${describeSize(limitBytes)}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_MEDIA_TYPE', 'Request body must be UTF-8 JSON');
    case 'entity.parse.failed':
      return new ApiError(HttpStatus.BAD_REQUEST, 'MALFORMED_JSON', 'Request body is not valid JSON', [
        { field: 'body', message: 'must be a valid JSON object' },
      ]);
    default:
      return new ApiError(HttpStatus.BAD_REQUEST, 'BAD_REQUEST', 'Request body could not be read');
  }
}

/**
 * Parses JSON bodies inside Nest (not as a bare Express middleware), so malformed JSON (400),
 * oversized bodies (413) and non-JSON content (415) reach the global exception filter like any error.
 * A body that parses but nests deeper than MAX_JSON_DEPTH, or holds a NUL or a lone surrogate in
 * any key or string, goes on without them (json-body-check.ts: withoutProblems), in a form validation
 * always refuses; the 400 VALIDATION_FAILED then names those top-level fields along with every other
 * bad one (HttpExceptionFilter). Nothing unstorable or too deep reaches validation or the app.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  protected readonly limitBytes: number = MAX_BODY_BYTES;
  private parser: ReturnType<typeof express.json> | undefined;

  /** Made on first use, so that a subclass's limit is the one it gets. */
  private get parseJson(): ReturnType<typeof express.json> {
    return (this.parser ??= express.json({ limit: this.limitBytes, strict: true, type: () => true }));
  }

  use(request: Request, response: Response, next: NextFunction): void {
    if (!hasBody(request)) return next();
    if (!request.is('application/json')) {
      throw new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    }
    this.parseJson(request, response, (error?: unknown) => {
      if (error) return next(parserError(error as { type?: string }, this.limitBytes));
      // Taken out here, before validation or anything recursive sees it: too deep, or not storable.
      const problems = jsonBodyProblems(request.body);
      if (problems.length > 0) {
        (request as RequestWithBodyProblems).bodyProblems = problems;
        request.body = withoutProblems(request.body, problems);
      }
      next();
    });
  }
}

/** The same parsing with the larger limit (POST /api/warranties/batch). */
@Injectable()
export class LargeJsonBodyMiddleware extends JsonBodyMiddleware {
  protected override readonly limitBytes = MAX_LARGE_BODY_BYTES;
}
