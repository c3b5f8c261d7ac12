/**
 * `npm run openapi:write` (docs/openapi.json), `npm run lint:openapi` and tests: the OpenAPI document
 * exactly as /docs-json serves it with the default configuration, built from the application module
 * without a database — MikroORM is replaced by an inert stand-in, which is enough because building
 * the document only reads controller metadata.
 *
 *   node dist/test/support/dump-openapi.js [out.json]     (stdout without an argument)
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/postgresql';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { appConfig, loadConfig } from '../../src/config/app-config.js';
import { buildOpenApiDocument } from '../../src/openapi/openapi-document.js';
import { ERROR_CODES } from '../../src/error-codes.js';

export async function openApiDocumentWithoutDatabase(): Promise<OpenAPIObject> {
  // sslmode=disable: nothing connects, so nothing may try TLS first (sslmode=prefer would, at start-up).
  const config = loadConfig({
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/none?sslmode=disable',
    LOG_LEVEL: 'fatal',
    WEB_CONCURRENCY: '1',
  });
  // Just enough of an ORM for the modules to be wired: nothing here ever queries.
  // The pool has connect(): Sql wraps it at construction (sql.ts, refuseOtherPathsInTransaction).
  const pool = { connect: async () => Promise.reject(new Error('no database while the OpenAPI document is built')) };
  const em = { getRepository: () => ({}), getConnection: () => ({ getNativeClient: async () => pool }) };
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(appConfig.KEY)
    .useValue(config)
    .overrideProvider(MikroORM)
    .useValue({ em, close: async () => undefined })
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  try {
    return buildOpenApiDocument(app, ERROR_CODES);
  } finally {
    await app.close();
  }
}

/** The committed copy of the document, for readers of the repository (a test keeps it equal to /docs-json). */
export const COMMITTED_DOCUMENT = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url));

/** The document as docs/openapi.json holds it: key order as served, two-space indent, a final newline. */
export function openApiJson(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = openApiJson(await openApiDocumentWithoutDatabase());
  if (process.argv[2]) writeFileSync(process.argv[2], json);
  else process.stdout.write(json);
}
