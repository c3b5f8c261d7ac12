import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ApiKeySchema } from './api-key.entity.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { ApiKeysService } from './api-keys.service.js';

/** The api_key table and key issuing: what the HTTP side (AccessModule) and the `npm run keys` CLI share. */
@Module({
  imports: [MikroOrmModule.forFeature([ApiKeySchema])],
  providers: [ApiKeyRepository, ApiKeysService],
  exports: [ApiKeyRepository, ApiKeysService],
})
export class ApiKeysModule {}
