/**
 * `npm run lint:openapi` (and tests): the OpenAPI document exactly as /docs-json serves it, built
 * from the application module without a database — MikroORM and the Database port are replaced by
 * inert stand-ins, which is enough because building the document only reads controller metadata.
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
import { loadConfig } from '../../src/config/app-config.js';
import { Database } from '../../src/database/database.js';
import { buildOpenApiDocument } from '../../src/openapi/openapi-document.js';
import { RootModule } from '../../src/root/root.module.js';

export async function openApiDocumentWithoutDatabase(): Promise<OpenAPIObject> {
  const config = loadConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1:1/none', LOG_LEVEL: 'fatal', WEB_CONCURRENCY: '1' });
  const moduleRef = await Test.createTestingModule({ imports: [RootModule.forRoot(config)] })
    .overrideProvider(MikroORM)
    .useValue({ close: async () => undefined })
    .overrideProvider(Database)
    .useValue({})
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = `${JSON.stringify(await openApiDocumentWithoutDatabase(), null, 2)}\n`;
  if (process.argv[2]) writeFileSync(process.argv[2], json);
  else process.stdout.write(json);
}
