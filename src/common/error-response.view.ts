import { ApiProperty } from '@nestjs/swagger';

/**
 * Every `code` the service sends in an error body (src/common/api-error.ts, error-body.ts,
 * json-body.middleware.ts, http-server-guards.ts, the access gate and the domain errors). A unit test checks the sources against
 * this list, so a new code cannot ship undocumented.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'BAD_REQUEST',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'STORE_MISMATCH',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'ITEM_NOT_ELIGIBLE',
  'INVALID_PRICING',
  'VERSION_EXISTS',
  'VERSION_IN_FORCE',
  'SERVICE_UNAVAILABLE',
  'OUTCOME_UNKNOWN',
  'INTERNAL_ERROR',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'EXPECTATION_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class FieldProblemView {
  @ApiProperty({ example: 'item_cost', description: 'The body field, query parameter or path parameter concerned.' })
  field: string;

  @ApiProperty({ example: 'must have at most 2 decimal places' })
  message: string;
}

/** Swagger schema of ErrorBody (api-error.ts). */
export class ErrorResponseView {
  @ApiProperty({ type: 'integer', example: 400, description: 'The HTTP status, repeated.' })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request', description: 'The HTTP reason phrase of the status.' })
  error: string;

  @ApiProperty({ enum: ERROR_CODES, enumName: 'ErrorCode', example: 'VALIDATION_FAILED', description: 'Stable, machine-readable.' })
  code: ErrorCode;

  @ApiProperty({ example: 'Invalid request: item_cost', description: 'For people; wording may change.' })
  message: string;

  @ApiProperty({
    type: [FieldProblemView],
    description: 'One entry per offending field; always present, empty when there is no field to name.',
  })
  details: FieldProblemView[];
}
