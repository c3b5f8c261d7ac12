import { defineEntity, p } from '@mikro-orm/core';

/**
 * A key's token bucket, shared by every instance (docs/contract/access.md#rate-limits): `tokens` as of `refilled_at`
 * (the database's clock), refilled at `rate` per second up to `burst`. Instances never take one token
 * per request from it: they lease slices (RateLimiter, RateLimitBucketRepository) and spend those locally. `granted` is what
 * the last lease took, so the lease statement can return it. No foreign key to api_key: keys are never
 * deleted, and the lease upserts many rows in one statement without checking each.
 */
export const RateLimitBucketSchema = defineEntity({
  name: 'RateLimitBucket',
  tableName: 'rate_limit_bucket',
  properties: {
    keyPrefix: p.string().length(32).primary(),
    rate: p.integer(),
    burst: p.integer(),
    tokens: p.double(),
    granted: p.integer(),
    refilledAt: p.datetime(),
  },
});
