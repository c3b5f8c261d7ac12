import { ApiProperty } from '@nestjs/swagger';

/**
 * The codes the HTTP edge itself sends (api-error.ts, error-body.ts, json-body.middleware.ts,
 * http-server-guards.ts, the database's outage answers). Modules list their own beside their errors;
 * src/error-codes.ts joins them into the documented enum, and a unit test checks the sources against it.
 */
export const HTTP_ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'BAD_REQUEST',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'SERVICE_UNAVAILABLE',
  'OUTCOME_UNKNOWN',
  'INTERNAL_ERROR',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'EXPECTATION_FAILED',
] as const;

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

  // The enum of every code is added when the document is built (src/openapi/openapi-document.ts).
  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable, machine-readable.' })
  code: string;

  @ApiProperty({ example: 'Invalid request: item_cost', description: 'For people; wording may change.' })
  message: string;

  @ApiProperty({
    type: [FieldProblemView],
    description: 'One entry per offending field; always present, empty when there is no field to name.',
  })
  details: FieldProblemView[];
}
