import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseView } from './error-response.view.js';

const EXAMPLES: Record<number, { description: string; example: object }> = {
  400: {
    description: 'Invalid input; `details` names every offending field. Also malformed JSON (code MALFORMED_JSON).',
    example: {
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: 'Invalid request: item_cost, color',
      details: [
        { field: 'item_cost', message: 'must be a JSON number with at most 2 decimal places' },
        { field: 'color', message: 'is not an accepted field' },
      ],
    },
  },
  404: {
    description: 'Not found.',
    example: { statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'Warranty 42 not found', details: [] },
  },
  413: {
    description: 'Body larger than 16 KiB.',
    example: {
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'PAYLOAD_TOO_LARGE',
      message: 'Request body is larger than 16 KiB',
      details: [],
    },
  },
  415: {
    description: 'Body is not JSON (Content-Type must be application/json).',
    example: {
      statusCode: 415,
      error: 'Unsupported Media Type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Content-Type must be application/json',
      details: [],
    },
  },
  422: {
    description: 'The item is not eligible for any plan (unknown type, or cost outside the eligible range). Nothing is written.',
    example: {
      statusCode: 422,
      error: 'Unprocessable Entity',
      code: 'ITEM_NOT_ELIGIBLE',
      message: 'No protection plan is offered for item_type "furniture" at item_cost 10',
      details: [{ field: 'item_cost', message: 'no plan for this type at this cost' }],
    },
  },
  503: {
    description: 'Database unreachable or saturated; retry after the Retry-After header.',
    example: {
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'SERVICE_UNAVAILABLE',
      message: 'The database is unavailable; retry shortly',
      details: [],
    },
  },
};

/** Documents the given error statuses with the shared error schema and an example each. */
export function ApiErrors(...statuses: (keyof typeof EXAMPLES)[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: EXAMPLES[status].description, type: ErrorResponseView, example: EXAMPLES[status].example }),
    ),
  );
}
