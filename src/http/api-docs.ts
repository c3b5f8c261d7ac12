import { applyDecorators } from '@nestjs/common';
import { ApiResponse, getSchemaPath, type ApiResponseOptions, type HeaderObject, type ResponseObject } from '@nestjs/swagger';
import { ErrorResponseView } from './error-response.view.js';

export type Example = { summary: string; value: object };

/** One error answer an operation can give: its status, description and examples (and headers). */
export interface ErrorDoc {
  status: number;
  description: string;
  examples: Record<string, Example>;
  headers?: Record<string, HeaderObject>;
}

export const conflict = (summary: string, code: string, message: string, field: string, detail: string): Example => ({
  summary,
  value: { statusCode: 409, error: 'Conflict', code, message, details: [{ field, message: detail }] },
});

export const badRequest = (summary: string, message: string, details: { field: string; message: string }[]): Example => ({
  summary,
  value: { statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message, details },
});

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0, example: 1 } },
};

const DATABASE_UNAVAILABLE: Example = {
  summary: 'Database unavailable',
  value: {
    statusCode: 503,
    error: 'Service Unavailable',
    code: 'SERVICE_UNAVAILABLE',
    message: 'The database is unavailable; retry shortly',
    details: [],
  },
};

// The error answers every module's operations share; each module documents its own beside its controllers.

export const BAD_BODY: ErrorDoc = {
  status: 400,
  description: 'Invalid body; `details` names every offending field. Also malformed JSON (code MALFORMED_JSON).',
  examples: {
    fields: badRequest('Invalid and unknown fields', 'Invalid request: item_cost, color', [
      { field: 'item_cost', message: 'must have at most 2 decimal places' },
      { field: 'color', message: 'is not an accepted field' },
    ]),
    json: {
      summary: 'Malformed JSON',
      value: {
        statusCode: 400,
        error: 'Bad Request',
        code: 'MALFORMED_JSON',
        message: 'Request body is not valid JSON',
        details: [{ field: 'body', message: 'must be a valid JSON object' }],
      },
    },
  },
};

export const BAD_QUERY: ErrorDoc = {
  status: 400,
  description: 'Unknown, repeated, empty or malformed query parameter, or a cursor this API did not issue; `details` names each.',
  examples: {
    query: badRequest('Bad page size and cursor', 'Invalid request: limit, cursor', [
      { field: 'limit', message: 'must be an integer from 1 to 1000' },
      { field: 'cursor', message: 'is not a cursor this API issued' },
    ]),
  },
};

export const BAD_ID: ErrorDoc = {
  status: 400,
  description: 'The id is not a positive integer.',
  examples: { id: badRequest('Not an id', 'Invalid request: id', [{ field: 'id', message: 'must be a positive integer' }]) },
};

export const PAYLOAD_TOO_LARGE: ErrorDoc = {
  status: 413,
  description: 'Body larger than the limit: 16 KiB (1 MiB for a batch and for a pricing version).',
  examples: {
    large: {
      summary: 'Body too large',
      value: {
        statusCode: 413,
        error: 'Payload Too Large',
        code: 'PAYLOAD_TOO_LARGE',
        message: 'Request body is larger than 16 KiB',
        details: [],
      },
    },
  },
};

export const NOT_JSON: ErrorDoc = {
  status: 415,
  description: 'Body is not JSON (Content-Type must be application/json).',
  examples: {
    type: {
      summary: 'Not JSON',
      value: {
        statusCode: 415,
        error: 'Unsupported Media Type',
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Content-Type must be application/json',
        details: [],
      },
    },
  },
};

export const UNAVAILABLE: ErrorDoc = {
  status: 503,
  description:
    'The database is unreachable or saturated (also while checking an API key this instance has not verified lately); ' +
    'nothing was written. Retry after `Retry-After` seconds.',
  headers: RETRY_AFTER,
  examples: { database: DATABASE_UNAVAILABLE },
};

export const UNAVAILABLE_WRITE: ErrorDoc = {
  status: 503,
  description:
    'Code SERVICE_UNAVAILABLE: the database is unreachable or saturated (also while checking an API key this instance has not ' +
    'verified lately); nothing was written. Code OUTCOME_UNKNOWN (rare): the database did not confirm the commit and could not ' +
    'be asked in time, so the write may have been saved. Either way, re-send after `Retry-After` seconds: re-sends are idempotent.',
  headers: RETRY_AFTER,
  examples: {
    database: DATABASE_UNAVAILABLE,
    outcomeUnknown: {
      summary: 'Commit not confirmed',
      value: {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'OUTCOME_UNKNOWN',
        message:
          'The database did not confirm the write and could not be asked in time: it may have been saved. Re-send it; re-sends are idempotent',
        details: [],
      },
    },
  },
};

/** The 401 every `/api/…` operation can give; added to each of them (src/openapi/openapi-document.ts). */
export const UNAUTHORIZED_EXAMPLES = {
  missing: {
    summary: 'No key',
    value: {
      statusCode: 401,
      error: 'Unauthorized',
      code: 'UNAUTHORIZED',
      message: 'An API key is required: send Authorization: Bearer <key>',
      details: [],
    },
  },
  invalid: {
    summary: 'Unknown or revoked key',
    value: {
      statusCode: 401,
      error: 'Unauthorized',
      code: 'UNAUTHORIZED',
      message: 'The API key is not valid (unknown or revoked)',
      details: [],
    },
  },
};

/** The 500 every operation can give; added to each operation of the document (src/openapi/openapi-document.ts). */
export const INTERNAL_ERROR_EXAMPLE = {
  statusCode: 500,
  error: 'Internal Server Error',
  code: 'INTERNAL_ERROR',
  message: 'Internal server error',
  details: [],
};

/** Documents the given error answers with the shared error schema and their examples. */
export function ApiErrors(...docs: ErrorDoc[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...docs.map((doc) => {
      return ApiResponse({
        status: doc.status,
        description: doc.description,
        type: ErrorResponseView,
        examples: doc.examples,
        ...(doc.headers ? { headers: doc.headers } : {}),
      } as ApiResponseOptions);
    }),
  );
}

/**
 * One of the error answers above as a reusable OpenAPI response object, for the document's
 * `components.responses` (src/openapi/openapi-document.ts adds the 503 to every keyed operation).
 */
export function errorResponseObject(doc: ErrorDoc): ResponseObject {
  return {
    description: doc.description,
    ...(doc.headers ? { headers: doc.headers } : {}),
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponseView) }, examples: doc.examples } },
  };
}
