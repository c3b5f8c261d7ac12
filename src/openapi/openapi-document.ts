import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject, type ParameterObject, type ReferenceObject } from '@nestjs/swagger';
import { INTERNAL_ERROR_EXAMPLE } from '../common/api-docs.js';

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
  health: 'Liveness and readiness for load balancers and orchestrators (always open).',
  operations: 'The service index and the Prometheus metrics.',
};

const REQUEST_ID_HEADER = {
  description: 'The request’s id: the client’s own `X-Request-Id` when it sent a valid one (1–128 printable ASCII), else a new UUID.',
  schema: { type: 'string', example: '7d0c1f5e-2b7a-4f47-9d3c-0b8a5f2e6a11' },
};

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

/** The OpenAPI document served at /docs-json (and shown at /docs). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Warranty service')
    .setDescription(
      'Stores submit items and get protection plans (warranties) priced from the item type and cost. ' +
        'Every answer carries `X-Request-Id`; every error is JSON `{ statusCode, error, code, message, details? }`. ' +
        'Money is a JSON number with at most 2 decimal places.',
    )
    .setVersion('1.0')
    .addServer('/', 'The instance serving this document');
  for (const [name, description] of Object.entries(TAGS)) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: (controller, method) => OPERATION_IDS[`${controller}.${method}`] ?? `${controller}_${method}`,
  });
  return finishDocument(document);
}

/**
 * What decorators cannot say once for all operations: the `X-Request-Id` header on every request
 * and response, the 500 any operation can give, the metrics endpoint (its controller is excluded
 * from Swagger scanning), and no 503 on liveness (terminus documents one; /health/live never sends it).
 */
export function finishDocument(document: OpenAPIObject): OpenAPIObject {
  const components = (document.components ??= {});
  components.headers = { ...components.headers, 'X-Request-Id': REQUEST_ID_HEADER };
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
      headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/ErrorResponseView' },
          examples: { internal: { summary: 'Internal error', value: INTERNAL_ERROR_EXAMPLE } },
        },
      },
    },
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

  for (const pathItem of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      operation.security = [];
      for (const parameter of operation.parameters ?? []) moveExtensionsIntoSchema(parameter);
      operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/RequestId' }];
      operation.responses['500'] ??= { $ref: '#/components/responses/InternalError' };
      for (const response of Object.values(operation.responses)) {
        if (!response || '$ref' in response) continue;
        response.headers = { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' }, ...response.headers };
      }
    }
  }
  return document;
}
