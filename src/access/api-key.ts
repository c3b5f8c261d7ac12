import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

export type KeyKind = 'admin' | 'store';

/**
 * Who is calling, as the API sees it once the key is verified. `keyPrefix` is the key's public part:
 * safe to log and to archive; the key itself never leaves the request's Authorization header.
 */
export type Caller = { kind: 'admin'; keyPrefix: string } | { kind: 'store'; keyPrefix: string; storeUuid: string };

/**
 * `wsk_<kind>_<id>_<secret>`: a recognisable product prefix (secret scanners, and people, can tell
 * what leaked), the kind, 12 hex characters of public id (48 random bits, unique in the table), and
 * 64 hex characters of secret (256 random bits). Hex only, so a double-click selects the whole key.
 * The public prefix is everything before the secret.
 */
const KEY_PATTERN = /^(wsk_(admin|store)_[0-9a-f]{12})_[0-9a-f]{64}$/;

export interface NewKey {
  /** The key itself: shown once, never stored. */
  key: string;
  prefix: string;
  hash: string;
}

export function generateKey(kind: KeyKind): NewKey {
  const prefix = `wsk_${kind}_${randomBytes(6).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('hex')}`;
  return { key, prefix, hash: hashKey(key) };
}

/** The public prefix and kind of a well-formed key; undefined for anything else. */
export function parseKey(key: string): { prefix: string; kind: KeyKind } | undefined {
  const match = KEY_PATTERN.exec(key);
  return match ? { prefix: match[1], kind: match[2] as KeyKind } : undefined;
}

/** Hex SHA-256. A key is 256 random bits: nothing to brute-force, so no salt or slow KDF is needed. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A key's SHA-256 as bytes, in one call (no Hash object, no hex): what the access gate compares on every request. */
export function keyDigest(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

/** Constant-time comparison of two SHA-256 digests as bytes. */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === 32 && b.length === 32 && timingSafeEqual(a, b);
}

/**
 * Constant-time comparison of a key as sent with the bytes of a key already proved against its stored
 * digest. Lengths are compared first: a key's length is fixed by its kind, so it gives nothing away.
 */
export function sameKeyBytes(key: string, proven: Buffer): boolean {
  const bytes = Buffer.from(key);
  return bytes.length === proven.length && proven.length > 0 && timingSafeEqual(bytes, proven);
}

/** A prefix as typed on the command line: `wsk_store_1a2b3c4d5e6f` (or a whole key, whose prefix is taken). */
export function prefixFrom(text: string): string | undefined {
  const trimmed = text.trim();
  if (/^wsk_(admin|store)_[0-9a-f]{12}$/.test(trimmed)) return trimmed;
  return parseKey(trimmed)?.prefix;
}
