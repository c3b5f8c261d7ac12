import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { keyDigest, parseKey, sameDigest, sameKeyBytes, type Caller } from './api-key.js';
import { ApiKeyRepository, type ApiKeyRecord } from './api-key.repository.js';
import { budgetOf, type Budget } from './budget.js';
import { errorText } from '../common/error-text.js';

export const REJECTION_REASONS = ['missing', 'malformed', 'unknown', 'revoked'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];
/** A live key: who calls, and the budget its requests to the API are counted against (undefined: unlimited). */
export type Verdict = { ok: true; caller: Caller; budget: Budget | undefined } | { ok: false; reason: RejectionReason };

/** Keys kept in memory per process; a key in steady use stays, the oldest entry goes first. */
const MAX_CACHED_KEYS = 20_000;
/** Prefixes known not to exist, kept apart so that guessing cannot evict real keys. */
const MAX_CACHED_UNKNOWN = 2_000;
/** `last_used_at` is written at most this often per key and process (and the UPDATE itself skips fresher rows). */
export const TOUCH_INTERVAL_MS = 60_000;

/** A key row as verification uses it: its hash as bytes and its caller, made once per read, not per request. */
interface KnownKey {
  record: ApiKeyRecord;
  digest: Buffer;
  verdict: Verdict;
  /**
   * The key's own bytes, once a request has proved them (their SHA-256 is `digest`). Later requests
   * with this key are compared to them, without hashing; they go with this entry when its TTL ends.
   */
  proven?: Buffer;
}

interface Cached {
  key: KnownKey;
  expiresAt: number;
}

/** Compared against when the prefix is unknown, so the answer takes the same time either way. */
const NO_DIGEST = Buffer.alloc(32);

/**
 * Whether `key` is the key `known` was read for. Once a request has proved a key, its bytes are kept
 * and later requests compare to them in constant time, which costs a fraction of a SHA-256
 * (docs/performance.md). Anything else is hashed and compared with the stored digest, an unknown prefix
 * too, so every refusal takes the same time.
 */
function provesKey(key: string, known: KnownKey | undefined): boolean {
  if (known?.proven && sameKeyBytes(key, known.proven)) return true;
  const matches = sameDigest(keyDigest(key), known?.digest ?? NO_DIGEST);
  if (matches && known) known.proven = Buffer.from(key);
  return matches;
}

function knownKey(record: ApiKeyRecord, storeKeyBudget: Budget): KnownKey {
  const caller: Caller =
    record.kind === 'store' && record.storeUuid !== null
      ? { kind: 'store', keyPrefix: record.prefix, storeUuid: record.storeUuid }
      : { kind: 'admin', keyPrefix: record.prefix };
  // Shared by every request with this key: frozen, so that none can change another's.
  return {
    record,
    digest: Buffer.from(record.keyHash, 'hex'),
    verdict: Object.freeze({ ok: true, caller: Object.freeze(caller), budget: budgetOf(record.kind, record.budget, storeKeyBudget) }),
  };
}

/**
 * Verifies `Authorization: Bearer <key>`. The api_key row is read once per key per cache TTL
 * (API_KEY_CACHE_TTL_MS, default 30 s) and kept in a bounded in-process cache, so the hot path costs
 * a constant-time comparison (a SHA-256 the first time: provesKey) and no database round trip; a
 * revocation therefore takes effect within the TTL. Concurrent first uses of a key share one read. Refusals are counted by
 * reason (`api_key_rejections_total`), so guessing shows on /metrics.
 */
@Injectable()
export class KeyVerifier {
  private readonly logger = new Logger('Access');
  private readonly known = new Map<string, Cached>();
  private readonly unknown = new Map<string, number>();
  private readonly loading = new Map<string, Promise<KnownKey | undefined>>();
  private readonly touchedAt = new Map<string, number>();
  private readonly rejections: Counter<'reason'>;
  private readonly ttlMs: number;
  private readonly storeKeyBudget: Budget;

  constructor(
    private readonly keys: ApiKeyRepository,
    @Inject(appConfig.KEY) config: AppConfig,
    registry: Registry,
  ) {
    this.ttlMs = config.access.keyCacheTtlMs;
    this.storeKeyBudget = config.access.storeKeyBudget;
    this.rejections = new Counter({
      name: 'api_key_rejections_total',
      help: 'Requests refused for their API key: missing, malformed, unknown (or wrong secret) or revoked',
      labelNames: ['reason'],
      registers: [registry],
    });
    // Every reason from 0, so that an alert on a rising `unknown` has a series before the first guess.
    for (const reason of REJECTION_REASONS) this.rejections.inc({ reason }, 0);
  }

  /** Verifies a key as sent (undefined: none was sent). */
  async verify(key: string | undefined): Promise<Verdict> {
    const verdict = await this.check(key);
    if (!verdict.ok) this.rejections.inc({ reason: verdict.reason });
    return verdict;
  }

  private async check(key: string | undefined): Promise<Verdict> {
    if (key === undefined) return { ok: false, reason: 'missing' };
    const parsed = parseKey(key);
    if (!parsed) return { ok: false, reason: 'malformed' };
    const known = await this.lookUp(parsed.prefix);
    const matches = provesKey(key, known);
    if (!known || !matches || known.record.kind !== parsed.kind) return { ok: false, reason: 'unknown' };
    if (known.record.revokedAt !== null) return { ok: false, reason: 'revoked' };
    this.touch(known.record.prefix);
    return known.verdict;
  }

  private async lookUp(prefix: string): Promise<KnownKey | undefined> {
    const now = Date.now();
    const cached = this.known.get(prefix);
    if (cached && cached.expiresAt > now) return cached.key;
    const unknownUntil = this.unknown.get(prefix);
    if (unknownUntil !== undefined && unknownUntil > now) return undefined;
    let load = this.loading.get(prefix);
    if (!load) {
      load = this.keys
        .findByPrefix(prefix)
        .then((record) => record && knownKey(record, this.storeKeyBudget))
        .finally(() => this.loading.delete(prefix));
      this.loading.set(prefix, load);
      void load.then(
        (key) => this.remember(prefix, key),
        () => undefined,
      );
    }
    return load;
  }

  private remember(prefix: string, record: KnownKey | undefined): void {
    if (this.ttlMs === 0) return;
    const expiresAt = Date.now() + this.ttlMs;
    const map: Map<string, unknown> = record ? this.known : this.unknown;
    map.delete(prefix); // re-inserted at the end: oldest-first eviction
    if (map.size >= (record ? MAX_CACHED_KEYS : MAX_CACHED_UNKNOWN)) map.delete(map.keys().next().value!);
    if (record) this.known.set(prefix, { key: record, expiresAt });
    else this.unknown.set(prefix, expiresAt);
  }

  /** Writes last_used_at off the request path, at most once per TOUCH_INTERVAL_MS per key. */
  private touch(prefix: string): void {
    const now = Date.now();
    if (now - (this.touchedAt.get(prefix) ?? -Infinity) < TOUCH_INTERVAL_MS) return;
    if (this.touchedAt.size >= MAX_CACHED_KEYS) this.touchedAt.clear();
    this.touchedAt.set(prefix, now);
    this.keys.touch(prefix).catch((error: unknown) =>
      this.logger.warn({
        message: 'could not note a key as used',
        key_prefix: prefix,
        error: errorText(error),
      }),
    );
  }
}
