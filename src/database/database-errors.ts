import { ConnectionException, DriverException } from '@mikro-orm/core';

// SQLSTATE classes that mean "the database cannot serve us right now", not "your input was wrong":
// 08 connection, 28 authorisation (credentials rotated/revoked), 3D database missing, 53 insufficient
// resources, 57 operator intervention (incl. 57014 statement timeout), 58 system error.
const UNAVAILABLE_SQLSTATE = /^(08|28|3D|53|57|58)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** No connection (or write slot) could be had within the acquire timeout: the database is too busy to take the request now. */
export class DatabaseBusyError extends Error {}

/**
 * COMMIT was sent but its reply was lost, and whether it committed could not be learned within the
 * bound: the write may have been saved. A 503 of its own (re-sends are idempotent), never retried here.
 */
export class CommitOutcomeUnknownError extends Error {}

/** PostgreSQL aborted the transaction for a deadlock (40P01) or a serialization failure (40001): running it again may succeed. */
export function isTransactionConflict(error: unknown): boolean {
  const codes = [error, error instanceof DriverException ? (error as { cause?: unknown }).cause : undefined].map(
    (candidate) => (candidate as { code?: unknown } | undefined)?.code,
  );
  return codes.includes('40P01') || codes.includes('40001');
}

/** True when an error says the database is down, overloaded or the pool could not hand out a connection in time. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionException || error instanceof DatabaseBusyError || error instanceof CommitOutcomeUnknownError) return true;
  const candidates: unknown[] = [error];
  if (error instanceof DriverException) candidates.push((error as { cause?: unknown }).cause);
  for (const candidate of candidates) {
    if (!candidate || typeof candidate !== 'object') continue;
    const { code, message } = candidate as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || NETWORK_CODES.has(code))) return true;
    if (
      typeof message === 'string' &&
      /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i.test(
        message,
      )
    ) {
      return true;
    }
  }
  return false;
}
