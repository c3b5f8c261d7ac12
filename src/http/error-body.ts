import { HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { CommitOutcomeUnknownError, isDatabaseUnavailable, isTransactionConflict } from '../database/database-errors.js';
import { ApiError, type ErrorBody } from './api-error.js';
import { DomainError, type DomainErrorReason } from '../common/domain-error.js';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'SERVICE_UNAVAILABLE',
};

const STATUS_BY_REASON: Record<DomainErrorReason, HttpStatus> = {
  'not-found': HttpStatus.NOT_FOUND,
  'not-eligible': HttpStatus.UNPROCESSABLE_ENTITY,
  forbidden: HttpStatus.FORBIDDEN,
  conflict: HttpStatus.CONFLICT,
  invalid: HttpStatus.UNPROCESSABLE_ENTITY,
};

/** The contract's error JSON; `details` is always there (empty when no field is to blame). */
export function errorBody(status: number, code: string, message: string, details: ErrorBody['details'] = []): ErrorBody {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message, details };
}

/** The code of each error answer sent, for the request's access line (access-log.ts). */
const answeredCodes = new WeakMap<object, string>();

/** Sends an error answer (503s say when to retry) and keeps its code for the access line. */
export function sendErrorBody(response: Response, body: ErrorBody): void {
  answeredCodes.set(response, body.code);
  if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE) response.setHeader('Retry-After', '1');
  response.status(body.statusCode).json(body);
}

/** The code of the error answer `response` carried, if it was one. */
export function errorCodeOf(response: object): string | undefined {
  return answeredCodes.get(response);
}

/**
 * Turns anything thrown while serving a request into the contract's JSON error. Only messages we wrote
 * ourselves reach the client; anything unexpected becomes a bare 500 (logged by the caller).
 */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof ApiError) return errorBody(error.getStatus(), error.code, error.message, error.details);
  if (error instanceof DomainError) return errorBody(STATUS_BY_REASON[error.reason], error.code, error.message, error.details);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return errorBody(status, CODE_BY_STATUS[status] ?? `HTTP_${status}`, error.message);
  }
  if (error instanceof CommitOutcomeUnknownError) {
    return errorBody(
      HttpStatus.SERVICE_UNAVAILABLE,
      'OUTCOME_UNKNOWN',
      'The database did not confirm the write and could not be asked in time: it may have been saved. Re-send it; re-sends are idempotent',
    );
  }
  // A write still crossing others after its retries (SubmissionWriter): nothing was written, and it may be sent again.
  if (isDatabaseUnavailable(error) || isTransactionConflict(error)) {
    return errorBody(HttpStatus.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly');
  }
  return errorBody(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL_ERROR', 'Internal server error');
}
