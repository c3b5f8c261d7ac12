import { readFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type ParameterObject,
  type ReferenceObject,
  type ResponseObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { errorResponseObject, INTERNAL_ERROR_EXAMPLE, RATE_LIMITED_EXAMPLE, UNAUTHORIZED_EXAMPLES, UNAVAILABLE } from '../http/api-docs.js';
import { appConfig, type AppConfig } from '../config/app-config.js';

/** The service's package.json (the repository root; /app in the image): the document's version is the package's. */
const PACKAGE = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** A private service: no licence is granted (package.json says UNLICENSED; LICENSE holds the text). */
const LICENSE = { name: 'Proprietary (UNLICENSED): all rights reserved; no licence is granted' };

/** The name of the security scheme: an API key sent as `Authorization: Bearer <key>`. */
export const SECURITY_SCHEME = 'apiKey';

/**
 * operationIds for controllers this module does not own (health's). Every other operation names its
 * own with `@ApiOperation({ operationId })`; a test fails on any operation left with a generated name.
 */
const OPERATION_IDS: Record<string, string> = {
  'HealthController.live': 'getLiveness',
  'HealthController.ready': 'getReadiness',
};

const TAGS: Record<string, string> = {
  warranties: 'Submit items and look up their protection plans (warranties).',
  pricing: 'The pricing rules: which item types and costs can get which plans, at what price.',
  changes: 'Follow every change to items and their plans: a keyset-paged feed that never skips one.',
  health: 'Liveness and readiness for load balancers and orchestrators (always open).',
  operations: 'The service index and the Prometheus metrics.',
};

const REQUEST_ID_HEADER = {
  description: 'The request’s id: the client’s own `X-Request-Id` when it sent a valid one (1–128 printable ASCII), else a new UUID.',
  schema: { type: 'string', example: '7d0c1f5e-2b7a-4f47-9d3c-0b8a5f2e6a11' },
};

const TRACEPARENT_HEADER = {
  description:
    'Sent when tracing is on (README, Tracing): the W3C trace context of the request’s span, to find its trace. Absent otherwise.',
  schema: {
    type: 'string',
    pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
    example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  },
};

/** The headers every answer can carry, whatever its status. */
const ANSWER_HEADER_REFS = {
  'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
  traceparent: { $ref: '#/components/headers/traceparent' },
};

/** What every `/api` answer to a key with a budget carries (docs/contract/access.md#rate-limits). */
const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': {
    description: 'Sent when the key has a budget: its capacity (`burst`), the most requests it may send at once.',
    schema: { type: 'integer', minimum: 1, example: 200 },
  },
  'RateLimit-Remaining': {
    description: 'Sent when the key has a budget: requests it may still send now.',
    schema: { type: 'integer', minimum: 0, example: 187 },
  },
  'RateLimit-Reset': {
    description: 'Sent when the key has a budget: seconds until its budget is whole again.',
    schema: { type: 'integer', minimum: 0, example: 1 },
  },
};
const RATE_LIMIT_HEADER_REFS = Object.fromEntries(
  Object.keys(RATE_LIMIT_HEADERS).map((name) => [name, { $ref: `#/components/headers/${name}` }]),
);
/**
 * Statuses decided before the key's budget was looked at: they never carry RateLimit-*. (A 503 can come
 * before it — the key could not be read — or after, from the work itself; then it carries them.)
 */
const BEFORE_THE_BUDGET = new Set(['401']);

/** The 403 of an admin-only /metrics (METRICS_ACCESS=admin) asked with a store key. */
const ADMIN_ONLY_RESPONSE = {
  description: 'The key is a store key; this endpoint needs an admin key.',
  headers: ANSWER_HEADER_REFS,
  content: {
    'application/json': {
      schema: { $ref: '#/components/schemas/ErrorResponseView' },
      examples: {
        storeKey: {
          summary: 'A store key',
          value: { statusCode: 403, error: 'Forbidden', code: 'FORBIDDEN', message: 'This endpoint needs an admin key', details: [] },
        },
      },
    },
  },
};

/** A response with the headers every answer can carry (`X-Request-Id`, `traceparent`), listed first. */
const withAnswerHeaders = (response: ResponseObject): ResponseObject => ({
  ...response,
  headers: { ...ANSWER_HEADER_REFS, ...response.headers },
});

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** @nestjs/swagger puts a query DTO property's `x-` keys on the parameter; they describe its value, so they belong in its schema. */
function moveExtensionsIntoSchema(parameter: ParameterObject | ReferenceObject): void {
  if ('$ref' in parameter || !parameter.schema || '$ref' in parameter.schema) return;
  const fields = parameter as unknown as Record<string, unknown>;
  for (const key of Object.keys(fields).filter((name) => name.startsWith('x-'))) {
    (parameter.schema as Record<string, unknown>)[key] = fields[key];
    delete fields[key];
  }
}

/**
 * The OpenAPI document served at /docs-json (and shown at /docs). `errorCodes`: every code an error
 * body can carry (src/error-codes.ts), published as the enum ErrorCode.
 */
export function buildOpenApiDocument(app: INestApplication, errorCodes: readonly string[]): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Warranty service')
    .setDescription(
      'Stores submit items and get protection plans (warranties) priced from the item type and cost. ' +
        'Every answer carries `X-Request-Id`; every error is JSON `{ statusCode, error, code, message, details }` (`details` always an array). ' +
        'Money is a JSON number with at most 2 decimal places. ' +
        'Every `/api/…` request needs an API key, sent as `Authorization: Bearer <key>` (in Swagger UI: the Authorize button). ' +
        'A store key sees and writes its own store only; an admin key, everything. Health checks are open.',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'wsk_<kind>_<id>_<secret>',
        description: 'An API key (`npm run keys`; on the embedded default, the development key in `.data/dev-admin-key`).',
      },
      SECURITY_SCHEME,
    )
    .setVersion(PACKAGE.version)
    .addServer('/', 'The instance serving this document');
  for (const [name, description] of Object.entries(TAGS)) builder.addTag(name, description);
  const config = builder.build();
  config.info.license = LICENSE; // DocumentBuilder.setLicense wants a URL; a proprietary licence has no public one
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => OPERATION_IDS[`${controller}.${method}`] ?? `${controller}_${method}`,
  });
  documentErrorCodes(document, errorCodes);
  return finishDocument(document, app.get<AppConfig>(appConfig.KEY).access);
}

/** The error body's `code` as a named enum, so generated clients get a union of the codes. */
function documentErrorCodes(document: OpenAPIObject, errorCodes: readonly string[]): void {
  const schemas = document.components!.schemas!;
  const description = 'Stable, machine-readable.';
  schemas.ErrorCode = { type: 'string', enum: [...errorCodes], description };
  const view = schemas.ErrorResponseView as SchemaObject;
  view.properties!.code = { example: 'VALIDATION_FAILED', description, allOf: [{ $ref: '#/components/schemas/ErrorCode' }] };
}

/**
 * What decorators cannot say once for all operations: the `X-Request-Id` header on every request
 * and response (and `traceparent` on every response, when tracing is on), the 500 any operation can
 * give, the 401 and 503 every keyed operation can give (the access gate reads the key from the
 * database), the 429 and RateLimit-* headers of every `/api` operation (the key's budget), the metrics
 * endpoint (its controller is excluded from Swagger scanning), and no 503 on liveness (terminus
 * documents one; /health/live never sends it).
 */
export function finishDocument(document: OpenAPIObject, access: Pick<AppConfig['access'], 'metrics'>): OpenAPIObject {
  const components = (document.components ??= {});
  components.headers = { ...components.headers, 'X-Request-Id': REQUEST_ID_HEADER, traceparent: TRACEPARENT_HEADER, ...RATE_LIMIT_HEADERS };
  components.parameters = {
    ...components.parameters,
    RequestId: {
      name: 'X-Request-Id',
      in: 'header',
      required: false,
      description: 'Your own id for the request (1–128 printable ASCII); echoed back and logged. Generated when absent.',
      schema: { type: 'string', minLength: 1, maxLength: 128 },
    },
  };
  components.responses = {
    ...components.responses,
    InternalError: {
      description: 'Unexpected failure; logged with the request id, never detailed to the client.',
      headers: ANSWER_HEADER_REFS,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/ErrorResponseView' },
          examples: { internal: { summary: 'Internal error', value: INTERNAL_ERROR_EXAMPLE } },
        },
      },
    },
    Unauthorized: {
      description: 'No API key, or one that is unknown or revoked (`WWW-Authenticate: Bearer`).',
      headers: {
        ...ANSWER_HEADER_REFS,
        'WWW-Authenticate': { description: 'The authentication scheme to use: `Bearer`.', schema: { type: 'string', example: 'Bearer' } },
      },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseView' }, examples: UNAUTHORIZED_EXAMPLES } },
    },
    RateLimited: {
      description:
        'The key is over its budget (a token bucket: `rate` requests per second, `burst` at most at once; README, Access). ' +
        'Decided before the body is read; nothing was written. Send again after `Retry-After` seconds. ' +
        'The answer is sent after a pause (RATE_LIMIT_HOLD_MS, 1 s by default), so that a client sending again at once is slowed down.',
      headers: {
        ...ANSWER_HEADER_REFS,
        'Retry-After': {
          description: 'Whole seconds to wait before sending again (at least 1).',
          schema: { type: 'integer', minimum: 1, example: 1 },
        },
        ...RATE_LIMIT_HEADER_REFS,
      },
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/ErrorResponseView' },
          examples: { overBudget: { summary: 'Over budget', value: RATE_LIMITED_EXAMPLE } },
        },
      },
    },
    // An admin-only /metrics (METRICS_ACCESS=admin) reads keys too; /api operations have their own 503 (with RateLimit-*).
    ...(access.metrics === 'admin'
      ? { AdminOnly: ADMIN_ONLY_RESPONSE, ServiceUnavailable: withAnswerHeaders(errorResponseObject(UNAVAILABLE)) }
      : {}),
  };

  document.paths['/metrics'] ??= {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (text exposition format)',
      tags: ['operations'],
      responses: {
        '200': {
          description: 'Request rate and latency by route and status, archive backlog and failures, process metrics.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  };
  delete document.paths['/health/live']?.get?.responses?.['503'];

  const keyed = (path: string) => path.startsWith('/api/') || (path === '/metrics' && access.metrics === 'admin');
  for (const [path, pathItem] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      // `/api/…` needs a key (docs/contract/access.md); health, GET / and (unless METRICS_ACCESS=admin) /metrics are open.
      operation.security = keyed(path) ? [{ [SECURITY_SCHEME]: [] }] : [];
      if (keyed(path)) operation.responses['401'] ??= { $ref: '#/components/responses/Unauthorized' };
      // Every /api request spends from its key's budget (admin keys: only when given one).
      const budgeted = path.startsWith('/api/');
      // A key this instance has not verified lately is read from the database: 503 when it cannot be.
      if (keyed(path))
        operation.responses['503'] ??= budgeted ? errorResponseObject(UNAVAILABLE) : { $ref: '#/components/responses/ServiceUnavailable' };
      if (budgeted) operation.responses['429'] ??= { $ref: '#/components/responses/RateLimited' };
      if (path === '/metrics' && access.metrics === 'admin') operation.responses['403'] ??= { $ref: '#/components/responses/AdminOnly' };
      for (const parameter of operation.parameters ?? []) moveExtensionsIntoSchema(parameter);
      operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/RequestId' }];
      operation.responses['500'] ??= { $ref: '#/components/responses/InternalError' };
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response || '$ref' in response) continue;
        operation.responses[status] = withAnswerHeaders(
          budgeted && !BEFORE_THE_BUDGET.has(status)
            ? { ...response, headers: { ...response.headers, ...RATE_LIMIT_HEADER_REFS } }
            : response,
        );
      }
    }
  }
  return document;
}
