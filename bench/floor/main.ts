/**
 * The floor (issue 19): what a request costs on this stack with nothing of the service around it. A
 * bare Nest app on @nestjs/platform-express, one controller, `pg` — reading the same rows with the
 * same SQL as the service's GET page, and doing a POST's same writes (store, item, plan set, outbox
 * row) in one transaction with the same pricing function. The bench runs it as a child process next
 * to the service, against the same database, and compares their CPU per request (floor-rows.ts).
 *
 * Left out on purpose — the service's costs the floor measures against: API keys, request ids and
 * access logs, metrics, helmet/CORS, the HTTP server guards, class-validator DTOs and the error
 * shape, our JSON body parsing (Nest's default parser here), MikroORM and its pool, the group commit,
 * the event emitter, the archive upload (the bench marks the floor's outbox rows archived), the
 * cluster primary, Swagger. Like the service: no ETag, no X-Powered-By.
 */
import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import { loadConfig } from '../../src/config/app-config.js';
import { FloorController } from './floor.controller.js';
import { FloorWrites } from './floor-store.js';

@Module({})
class FloorModule {
  static with(pool: pg.Pool, leaseMs: number): DynamicModule {
    return {
      module: FloorModule,
      controllers: [FloorController],
      providers: [
        { provide: pg.Pool, useValue: pool },
        { provide: FloorWrites, useValue: new FloorWrites(pool, leaseMs) },
      ],
    };
  }
}

// The service's own configuration parser reads the same environment: database, pool size, archive lease, port.
const config = loadConfig(process.env);
// Sized and idling like the service's pool (src/database/mikro-orm.config.ts).
const pool = new pg.Pool({
  connectionString: config.database.url,
  max: config.database.poolSize,
  idleTimeoutMillis: 30_000,
  application_name: 'bench-floor',
});
pool.on('error', () => undefined); // an idle connection dropped by the server fails the next query instead
const app = await NestFactory.create<NestExpressApplication>(FloorModule.with(pool, config.archive.leaseMs), { logger: ['error', 'warn'] });
app.disable('x-powered-by');
app.set('etag', false);
await app.listen(config.port, config.host);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app
      .close()
      .then(() => pool.end())
      .finally(() => process.exit(0));
  });
}
