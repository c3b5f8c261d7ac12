import type { FieldProblem } from './api-error.js';

/** What went wrong, in the domain's words; the exception filter turns it into an HTTP status. */
export type DomainErrorReason = 'not-found' | 'not-eligible' | 'forbidden' | 'conflict' | 'invalid';

/**
 * An error a service throws for its callers to see (never an HTTP exception: services don't speak
 * HTTP). `code` is the stable machine-readable code clients get; `details` name the fields involved.
 */
export abstract class DomainError extends Error {
  constructor(
    readonly reason: DomainErrorReason,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}
