import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { AccessGate } from './access.gate.js';
import { ApiKeysModule } from './api-keys.module.js';
import { KeyVerifier } from './key-verifier.js';
import { RateLimitBucketSchema } from './rate-limit-bucket.entity.js';
import { RateLimitBucketRepository } from './rate-limit-bucket.repository.js';
import { RateLimiter } from './rate-limiter.js';

/**
 * API keys on the HTTP side: the verifier (cached), the rate limiter and the gate. AppModule applies
 * the gate before body parsing; configureApp puts it in front of Swagger UI.
 */
@Module({
  imports: [ApiKeysModule, MikroOrmModule.forFeature([RateLimitBucketSchema])],
  providers: [
    KeyVerifier,
    RateLimiter,
    AccessGate,
    {
      provide: RateLimitBucketRepository,
      inject: [MikroORM],
      useFactory: async (orm: MikroORM) =>
        RateLimitBucketRepository.over((await orm.em.getConnection().getNativeClient()) as pg.Pool & { options: pg.PoolConfig }),
    },
  ],
  exports: [KeyVerifier, AccessGate, ApiKeysModule],
})
export class AccessModule {}
