import { Injectable } from '@nestjs/common';
import { generateKey, hashKey, parseKey, sameHash } from './api-key.js';
import { ApiKeyRepository, type ApiKeyRecord } from './api-key.repository.js';

/** store_uuid's rule (docs/contract/warranties.md): a key can only be bound to a store that could post. */
const STORE_UUID = /^[A-Za-z0-9_-]{1,64}$/;

export type KeyRequest = { kind: 'admin' } | { kind: 'store'; storeUuid: string };

export interface IssuedKey {
  /** Shown once: only its hash is kept. */
  key: string;
  record: ApiKeyRecord;
}

/** Issuing, listing and revoking keys: what `npm run keys`, the development key and the tests use. */
@Injectable()
export class ApiKeysService {
  constructor(private readonly keys: ApiKeyRepository) {}

  async issue(request: KeyRequest): Promise<IssuedKey> {
    if (request.kind === 'store' && !STORE_UUID.test(request.storeUuid)) {
      throw new Error(`store_uuid must be 1–64 characters of A-Z a-z 0-9 _ - (got "${request.storeUuid}")`);
    }
    const generated = generateKey(request.kind);
    const record = await this.keys.insert({
      prefix: generated.prefix,
      kind: request.kind,
      storeUuid: request.kind === 'store' ? request.storeUuid : null,
      keyHash: generated.hash,
    });
    return { key: generated.key, record };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.keys.list();
  }

  revoke(prefix: string): Promise<boolean> {
    return this.keys.revoke(prefix);
  }

  /** The key's record when `key` is a live key of this database (not revoked); else undefined. */
  async findLive(key: string): Promise<ApiKeyRecord | undefined> {
    const parsed = parseKey(key);
    const record = parsed && (await this.keys.findByPrefix(parsed.prefix));
    return record && record.revokedAt === null && sameHash(record.keyHash, hashKey(key)) ? record : undefined;
  }
}
