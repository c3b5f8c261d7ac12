import { applyDecorators } from '@nestjs/common';
import { ApiResponse, getSchemaPath, type ApiResponseOptions, type HeaderObject, type ResponseObject } from '@nestjs/swagger';
import { explainEligibility, ineligibilityProblem } from '../pricing/eligibility.js';
import { ACTIVE_PRICING } from '../pricing/pricing-rules.js';
import { ErrorResponseView } from './error-response.view.js';

type Example = { summary: string; value: object };

function notEligibleExample(summary: string, itemType: string, costCents: number): Example {
  const eligibility = explainEligibility(ACTIVE_PRICING, itemType, costCents);
  if (eligibility.eligible) throw new Error(`example ${itemType} at ${costCents} is eligible`);
  const { message, details } = ineligibilityProblem(eligibility, itemType, costCents);
  return { summary, value: { statusCode: 422, error: 'Unprocessable Entity', code: 'ITEM_NOT_ELIGIBLE', message, details } };
}

const badRequest = (summary: string, message: string, details: { field: string; message: string }[]): Example => ({
  summary,
  value: { statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message, details },
});

/**
 * The error answers an operation can give, each with its description and examples. The 400
 * variants keep examples to what the operation takes: body fields for the POST, query parameters
 * for the list, the path id for the single read.
 */
const ERROR_DOCS = {
  '400-body': {
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
  },
  '400-query': {
    status: 400,
    description: 'Unknown, repeated, empty or malformed query parameter, or a cursor this API did not issue; `details` names each.',
    examples: {
      query: badRequest('Bad page size and cursor', 'Invalid request: limit, cursor', [
        { field: 'limit', message: 'must be an integer from 1 to 1000' },
        { field: 'cursor', message: 'is not a cursor this API issued' },
      ]),
    },
  },
  '400-id': {
    status: 400,
    description: 'The id is not a positive integer.',
    examples: { id: badRequest('Not an id', 'Invalid request: id', [{ field: 'id', message: 'must be a positive integer' }]) },
  },
  403: {
    status: 403,
    description: 'A store key used for another store (`store_uuid` is not the key’s store). Nothing is read or written.',
    examples: {
      mismatch: {
        summary: 'Another store',
        value: {
          statusCode: 403,
          error: 'Forbidden',
          code: 'STORE_MISMATCH',
          message: 'This key belongs to store b21ad0676f26439; it cannot act for store a8f5f167f44f486',
          details: [{ field: 'store_uuid', message: 'must be this key’s store (b21ad0676f26439)' }],
        },
      },
    },
  },
  404: {
    status: 404,
    description: 'No plan with this id (for a store key: none of its store’s).',
    examples: {
      missing: {
        summary: 'Unknown id',
        value: { statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'Warranty 42 not found', details: [] },
      },
    },
  },
  413: {
    status: 413,
    description: 'Body larger than 16 KiB.',
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
  },
  415: {
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
  },
  422: {
    status: 422,
    description:
      'The item cannot get a plan; `details` names the rule that failed: an unknown `item_type` (listing the accepted types) ' +
      'or an `item_cost` outside the type’s eligible range (giving the range). See GET /api/pricing. Nothing is written.',
    examples: {
      unknownType: notEligibleExample('Unknown item type', 'spaceships', 15_000),
      costOutOfRange: notEligibleExample('Cost outside the type’s range', 'furniture', 1_000),
    },
  },
  503: {
    status: 503,
    description:
      'The database is unreachable or saturated (also while checking an API key this instance has not verified lately); ' +
      'nothing was written. Retry after `Retry-After` seconds.',
    headers: {
      'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0, example: 1 } },
    },
    examples: {
      database: {
        summary: 'Database unavailable',
        value: {
          statusCode: 503,
          error: 'Service Unavailable',
          code: 'SERVICE_UNAVAILABLE',
          message: 'The database is unavailable; retry shortly',
          details: [],
        },
      },
    },
  },
} satisfies Record<string, { status: number; description: string; examples: Record<string, Example>; headers?: object }>;

export type ErrorDoc = keyof typeof ERROR_DOCS;

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
    ...docs.map((key) => {
      const doc: { status: number; description: string; examples: Record<string, Example>; headers?: object } = ERROR_DOCS[key];
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
export function errorResponseObject(key: ErrorDoc): ResponseObject {
  const doc: { description: string; examples: Record<string, Example>; headers?: Record<string, HeaderObject> } = ERROR_DOCS[key];
  return {
    description: doc.description,
    ...(doc.headers ? { headers: doc.headers } : {}),
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponseView) }, examples: doc.examples } },
  };
}
