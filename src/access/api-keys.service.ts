import { Injectable } from '@nestjs/common';
import { generateKey, keyDigest, parseKey, sameDigest } from './api-key.js';
import { ApiKeyRepository, type ApiKeyRecord } from './api-key.repository.js';
import { MAX_RATE_LIMIT } from '../config/app-config.js';
import type { Budget } from './budget.js';

/** store_uuid's rule (docs/contract/warranties.md): a key can only be bound to a store that could post. */
const STORE_UUID = /^[A-Za-z0-9_-]{1,64}$/;

/** A key to issue; `budget`: its own rate limit (absent: the default of its kind, see budget.ts). */
export type KeyRequest = ({ kind: 'admin' } | { kind: 'store'; storeUuid: string }) & { budget?: Budget };

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
    if (request.budget) checkBudget(request.budget);
    const generated = generateKey(request.kind);
    const record = await this.keys.insert({
      prefix: generated.prefix,
      kind: request.kind,
      storeUuid: request.kind === 'store' ? request.storeUuid : null,
      keyHash: generated.hash,
      budget: request.budget ?? null,
    });
    return { key: generated.key, record };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.keys.list();
  }

  findByPrefix(prefix: string): Promise<ApiKeyRecord | undefined> {
    return this.keys.findByPrefix(prefix);
  }

  revoke(prefix: string): Promise<boolean> {
    return this.keys.revoke(prefix);
  }

  /** Gives the key its own budget, or (null) takes it away; false when there is no such key. Bites within API_KEY_CACHE_TTL_MS. */
  async setBudget(prefix: string, budget: Budget | null): Promise<boolean> {
    if (budget) checkBudget(budget);
    return this.keys.setBudget(prefix, budget);
  }

  /** The key's record when `key` is a live key of this database (not revoked); else undefined. */
  async findLive(key: string): Promise<ApiKeyRecord | undefined> {
    const parsed = parseKey(key);
    const record = parsed && (await this.keys.findByPrefix(parsed.prefix));
    return record && record.revokedAt === null && sameDigest(Buffer.from(record.keyHash, 'hex'), keyDigest(key)) ? record : undefined;
  }
}

function checkBudget(budget: Budget): void {
  for (const name of ['rate', 'burst'] as const) {
    const value = budget[name];
    if (!Number.isSafeInteger(value) || value < 1 || value > MAX_RATE_LIMIT) {
      throw new Error(`${name} must be an integer from 1 to ${MAX_RATE_LIMIT} (got ${value})`);
    }
  }
}
