import { defineEntity, p } from '@mikro-orm/core';

/**
 * An API key (docs/contract/access.md). Only the SHA-256 of the key is kept; `prefix` is its public part
 * (`wsk_store_1a2b3c4d5e6f`), unique, what people and the archive name a key by. A store key names
 * its store by `store_uuid` — not a foreign key: a key may be issued before the store's first POST.
 */
export const ApiKeySchema = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  checks: [
    { name: 'api_key_kind_check', expression: "kind IN ('admin', 'store')" },
    { name: 'api_key_store_check', expression: "(kind = 'store') = (store_uuid IS NOT NULL)" },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    prefix: p.string().length(32).unique('api_key_prefix_unique'),
    kind: p.string().length(8),
    storeUuid: p.string().length(64).nullable(),
    /** Hex SHA-256 of the whole key. Keys are 256-bit random, so a fast hash is right (no salt, no KDF needed). */
    keyHash: p.string().length(64),
    createdAt: p.datetime().defaultRaw('now()'),
    /** Written at most once a minute per key (see KeyVerifier), never once per request. */
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
