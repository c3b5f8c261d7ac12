import type { Request } from 'express';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { FieldProblem } from '../common/field-problem.js';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export interface RequestWithContext extends Request {
  requestId: string;
  receivedAt: Date;
}

/** A request whose JSON body had parts taken out by JsonBodyMiddleware (too deep, or not storable). */
export interface RequestWithBodyProblems extends Request {
  bodyProblems?: FieldProblem[];
}

/** The id of the request being served, for every log line written while serving it (logging.ts). */
export const requestIds = new AsyncLocalStorage<string>();

/** The client's own X-Request-Id when it is sane (printable, ≤ 128 chars), else a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && ACCEPTABLE_REQUEST_ID.test(value) ? value : randomUUID();
}
