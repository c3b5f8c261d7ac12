import { Module } from '@nestjs/common';
import { AccessGate } from './access.gate.js';
import { ApiKeysModule } from './api-keys.module.js';
import { KeyVerifier } from './key-verifier.js';

/**
 * API keys on the HTTP side: the verifier (cached) and the gate. AppModule applies the gate before
 * body parsing; configureApp puts it in front of Swagger UI.
 */
@Module({
  imports: [ApiKeysModule],
  providers: [KeyVerifier, AccessGate],
  exports: [KeyVerifier, AccessGate, ApiKeysModule],
})
export class AccessModule {}
