import { HttpException, HttpStatus } from '@nestjs/common';
import type { FieldProblem } from '../common/field-problem.js';

/** The one error shape every client sees (docs/contract/errors.md). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  /** Always present; empty when there is no field to name. */
  details: FieldProblem[];
}

/** An error we mean to show the client, with a stable machine-readable code. */
export class ApiError extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message, status);
  }

  static validation(details: FieldProblem[]): ApiError {
    const fields = [...new Set(details.map((d) => d.field))].join(', ');
    return new ApiError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', `Invalid request: ${fields}`, details);
  }
}
