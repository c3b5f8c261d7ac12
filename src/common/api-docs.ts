import { applyDecorators } from '@nestjs/common';
import { ApiResponse, getSchemaPath, type ApiResponseOptions, type HeaderObject, type ResponseObject } from '@nestjs/swagger';
import { explainEligibility, ineligibilityProblem } from '../pricing/eligibility.js';
import { SHIPPED_PRICING } from '../pricing/pricing-rules.js';
import { pricingProblems } from '../pricing/version-rules.js';
import { ErrorResponseView } from './error-response.view.js';

type Example = { summary: string; value: object };

function notEligibleExample(summary: string, itemType: string, costCents: number): Example {
  const eligibility = explainEligibility(SHIPPED_PRICING, itemType, costCents);
  if (eligibility.eligible) throw new Error(`example ${itemType} at ${costCents} is eligible`);
  const { message, details } = ineligibilityProblem(eligibility, itemType, costCents);
  return { summary, value: { statusCode: 422, error: 'Unprocessable Entity', code: 'ITEM_NOT_ELIGIBLE', message, details } };
}

/** The 422 INVALID_PRICING example, found by the rules themselves in a draft that breaks four of them. */
function invalidPricingExample(): Example {
  const now = Date.parse('2027-01-01T00:00:00Z');
  const problems = pricingProblems(
    {
      version: '2027-01-01',
      effectiveFrom: Date.parse('2026-12-31T00:00:00Z'),
      storeUuids: [],
      itemTypes: [
        {
          itemType: 'furniture',
          minCostCents: 5_000,
          maxCostCents: 1_000_000,
          plans: [{ durationMonths: 12, baseCents: 0, rateBasisPoints: 0 }],
        },
        {
          itemType: 'furniture',
          minCostCents: 10_000,
          maxCostCents: 5_000,
          plans: [
            { durationMonths: 24, baseCents: 600, rateBasisPoints: 1400 },
            { durationMonths: 240, baseCents: 600, rateBasisPoints: 1400 },
          ],
        },
      ],
    },
    now,
  );
  const message = `The pricing version breaks ${problems.length} rules`;
  return {
    summary: 'Broken pricing rules',
    value: { statusCode: 422, error: 'Unprocessable Entity', code: 'INVALID_PRICING', message, details: problems },
  };
}

const conflict = (summary: string, code: string, message: string, field: string, detail: string): Example => ({
  summary,
  value: { statusCode: 409, error: 'Conflict', code, message, details: [{ field, message: detail }] },
});

const badRequest = (summary: string, message: string, details: { field: string; message: string }[]): Example => ({
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
  '400-version-body': {
    status: 400,
    description: 'A body of the wrong shape; `details` names every offending field by its path. Also malformed JSON (code MALFORMED_JSON).',
    examples: {
      fields: badRequest('Wrong shapes', 'Invalid request: item_types[0].plans[0].rate, effective_from', [
        { field: 'item_types[0].plans[0].rate', message: 'must have at most 4 decimal places' },
        { field: 'effective_from', message: 'must be an ISO 8601 instant with an offset, e.g. 2027-01-01T00:00:00Z' },
      ]),
    },
  },
  '400-store-query': {
    status: 400,
    description: 'Unknown, repeated, empty or malformed query parameter; `details` names each.',
    examples: {
      query: badRequest('Bad store_uuid', 'Invalid request: store_uuid', [
        { field: 'store_uuid', message: 'may only contain A-Z, a-z, 0-9, _ and -' },
      ]),
    },
  },
  '400-version-path': {
    status: 400,
    description: 'The path does not name a version (1–32 characters of A-Z, a-z, 0-9, ., _ and -).',
    examples: {
      version: badRequest('Not a version name', 'Invalid request: version', [
        { field: 'version', message: 'may only contain A-Z, a-z, 0-9, ., _ and -' },
      ]),
    },
  },
  'admin-only': {
    status: 403,
    description: 'The key is a store key; this endpoint needs an admin key. Nothing is read or written.',
    examples: {
      storeKey: {
        summary: 'A store key',
        value: { statusCode: 403, error: 'Forbidden', code: 'FORBIDDEN', message: 'This endpoint needs an admin key', details: [] },
      },
    },
  },
  '404-version': {
    status: 404,
    description: 'No version of this name (never published, or withdrawn).',
    examples: {
      missing: {
        summary: 'Unknown version',
        value: { statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'Pricing version 2027-01-01 not found', details: [] },
      },
    },
  },
  '409-version-exists': {
    status: 409,
    description: 'A version of this name exists: published versions never change, so publish under a new name. Nothing is written.',
    examples: {
      exists: conflict(
        'Name taken',
        'VERSION_EXISTS',
        'Pricing version 2026-11-01 already exists; publish a new version under another name',
        'version',
        'is taken by a published version (2026-11-01)',
      ),
    },
  },
  '409-version-in-force': {
    status: 409,
    description:
      'The version’s time has come (or is less than a second away): it is or was in force, and history is never rewritten. ' +
      'To change prices again, publish a newer version.',
    examples: {
      inForce: conflict(
        'Already in force',
        'VERSION_IN_FORCE',
        'Pricing version 2026-11-01 took effect at 1970-01-01T00:00:00.000Z; only a scheduled version can be withdrawn',
        'version',
        'is no longer scheduled',
      ),
    },
  },
  '422-pricing': {
    status: 422,
    description:
      'The version breaks pricing rules; `details` names each: an item type twice, min_cost ≥ max_cost, a duration twice or ' +
      'not 1–120 months, a plan priced ≤ 0 somewhere in its type’s range, effective_from more than a minute in the past, ' +
      'a store named twice. Nothing is written.',
    examples: { rules: invalidPricingExample() },
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
      'The item cannot get a plan under the version in force for its store; `details` names the rule that failed: an unknown ' +
      '`item_type` (listing that table’s accepted types) or an `item_cost` outside the type’s eligible range (giving the range). ' +
      'See GET /api/pricing. Nothing is written.',
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
    headers: RETRY_AFTER,
    examples: { database: DATABASE_UNAVAILABLE },
  },
  '503-write': {
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
