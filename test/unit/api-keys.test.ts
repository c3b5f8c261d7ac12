/**
 * API keys without a database: the key format, hashing and constant-time comparison (through timingSafeEqual); KeyVerifier in
 * a Nest testing module over a fake ApiKeyRepository — one read per key per TTL (none on the hot
 * path), concurrent first uses sharing it, revocation seen after the TTL, last_used_at at most once a
 * minute, refusals counted, the budget each key answers to.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { describe, it } from 'node:test';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { generateKey, hashKey, keyDigest, parseKey, prefixFrom, sameDigest } from '../../src/access/api-key.js';
import { ApiKeyRepository, type ApiKeyRecord } from '../../src/access/api-key.repository.js';
import type { Budget } from '../../src/access/budget.js';
import { KeyVerifier } from '../../src/access/key-verifier.js';
import { appConfig, loadConfig } from '../../src/config/app-config.js';

describe('key format', () => {
  it('wsk_<kind>_<12 hex>_<64 hex>: random, parsed back to its prefix and kind, hashed with SHA-256', () => {
    const a = generateKey('store');
    const b = generateKey('store');
    assert.match(a.key, /^wsk_store_[0-9a-f]{12}_[0-9a-f]{64}$/);
    assert.notEqual(a.key, b.key);
    assert.deepEqual(parseKey(a.key), { prefix: a.prefix, kind: 'store' });
    assert.equal(a.key.startsWith(`${a.prefix}_`), true);
    assert.equal(a.hash, hashKey(a.key));
    assert.match(a.hash, /^[0-9a-f]{64}$/);
    assert.ok(!a.hash.includes(a.key.slice(a.prefix.length + 1)));
  });

  it('refuses anything else', () => {
    const { key } = generateKey('admin');
    for (const bad of [
      '',
      'wsk',
      key.slice(0, -1),
      `${key}0`,
      key.replace('wsk_', 'xsk_'),
      key.toUpperCase(),
      ` ${key}`,
      key.replace('admin', 'root'),
    ]) {
      assert.equal(parseKey(bad), undefined, bad);
    }
  });

  it('prefixFrom takes a prefix or a whole key', () => {
    const { key, prefix, hash } = generateKey('admin');
    assert.equal(prefixFrom(prefix), prefix);
    assert.equal(prefixFrom(key), prefix);
    assert.equal(prefixFrom('wsk_admin_nothex000000'), undefined);
    assert.equal(hash, hashKey(key));
  });

  it('keyDigest is the stored hex hash as bytes; sameDigest compares 32-byte digests only', () => {
    const { key, hash } = generateKey('store');
    assert.deepEqual(keyDigest(key), Buffer.from(hash, 'hex'));
    assert.ok(sameDigest(keyDigest(key), Buffer.from(hash, 'hex')));
    assert.ok(!sameDigest(keyDigest(`${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`), Buffer.from(hash, 'hex')));
    assert.ok(!sameDigest(Buffer.alloc(0), Buffer.alloc(0)));
  });

  it('sameDigest compares through crypto.timingSafeEqual (constant time; lint refuses ===/!== on digests elsewhere)', (t) => {
    // The spy reaches sameDigest's ESM import of node:crypto once the builtin's ESM exports are synced with it.
    const spy = t.mock.method(crypto, 'timingSafeEqual');
    syncBuiltinESMExports();
    try {
      const { key, hash } = generateKey('store');
      assert.ok(sameDigest(Buffer.from(hash, 'hex'), keyDigest(key)));
      assert.ok(!sameDigest(Buffer.from(hash, 'hex'), keyDigest(`${key}0`)));
      assert.equal(spy.mock.callCount(), 2);
    } finally {
      spy.mock.restore();
      syncBuiltinESMExports();
    }
  });
});

class FakeKeys {
  records = new Map<string, ApiKeyRecord>();
  reads = 0;
  touches: string[] = [];
  /** Makes reads wait until released, to see concurrent first uses share one. */
  gate: Promise<void> | undefined;

  add(kind: 'admin' | 'store', storeUuid: string | null = null, budget: Budget | null = null): string {
    const { key, prefix, hash } = generateKey(kind);
    this.records.set(prefix, { prefix, kind, storeUuid, keyHash: hash, createdAt: new Date(), lastUsedAt: null, revokedAt: null, budget });
    return key;
  }

  async findByPrefix(prefix: string): Promise<ApiKeyRecord | undefined> {
    this.reads++;
    await this.gate;
    const record = this.records.get(prefix);
    return record && { ...record };
  }

  async touch(prefix: string): Promise<void> {
    this.touches.push(prefix);
  }
}

async function verifierOver(keys: FakeKeys, ttlMs: number) {
  const registry = new Registry();
  const moduleRef = await Test.createTestingModule({
    providers: [
      KeyVerifier,
      { provide: ApiKeyRepository, useValue: keys },
      { provide: appConfig.KEY, useValue: loadConfig({ API_KEY_CACHE_TTL_MS: String(ttlMs) }) },
      { provide: Registry, useValue: registry },
    ],
  }).compile();
  return { verifier: moduleRef.get(KeyVerifier), registry };
}

describe('KeyVerifier', () => {
  it('reads a key once, then verifies it with no read until the TTL passes', async () => {
    const keys = new FakeKeys();
    const key = keys.add('store', 'store-a');
    const { verifier } = await verifierOver(keys, 60_000);
    for (let i = 0; i < 100; i++) {
      const verdict = await verifier.verify(key);
      assert.deepEqual(verdict, {
        ok: true,
        caller: { kind: 'store', keyPrefix: prefixFrom(key), storeUuid: 'store-a' },
        budget: { rate: 100, burst: 200 },
      });
    }
    assert.equal(keys.reads, 1);
    assert.deepEqual(keys.touches, [prefixFrom(key)], 'last_used_at once, not once per request');
  });

  it('the budget: a store key RATE_LIMIT_RATE/RATE_LIMIT_BURST unless it has its own, an admin key none unless it has its own', async () => {
    const keys = new FakeKeys();
    const store = keys.add('store', 'store-a');
    const ownStore = keys.add('store', 'store-a', { rate: 5, burst: 7 });
    const admin = keys.add('admin');
    const ownAdmin = keys.add('admin', null, { rate: 1000, burst: 50 });
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      providers: [
        KeyVerifier,
        { provide: ApiKeyRepository, useValue: keys },
        { provide: appConfig.KEY, useValue: loadConfig({ RATE_LIMIT_RATE: '20', RATE_LIMIT_BURST: '30' }) },
        { provide: Registry, useValue: registry },
      ],
    }).compile();
    const verifier = moduleRef.get(KeyVerifier);
    const budget = async (key: string) => {
      const verdict = await verifier.verify(key);
      assert.ok(verdict.ok);
      return verdict.budget;
    };
    assert.deepEqual(await budget(store), { rate: 20, burst: 30 });
    assert.deepEqual(await budget(ownStore), { rate: 5, burst: 7 });
    assert.equal(await budget(admin), undefined, 'unlimited');
    assert.deepEqual(await budget(ownAdmin), { rate: 1000, burst: 50 });
  });

  it('a key proved once is compared to its bytes (constant time, no hash); anything else is still hashed and refused', async (t) => {
    const keys = new FakeKeys();
    const key = keys.add('store', 'store-a');
    const { verifier } = await verifierOver(keys, 60_000);
    const hashes = t.mock.method(crypto, 'hash');
    const compares = t.mock.method(crypto, 'timingSafeEqual');
    syncBuiltinESMExports();
    try {
      assert.equal((await verifier.verify(key)).ok, true);
      assert.equal(hashes.mock.callCount(), 1, 'the first use proves the key by its SHA-256');
      for (let i = 0; i < 10; i++) assert.equal((await verifier.verify(key)).ok, true);
      assert.equal(hashes.mock.callCount(), 1, 'later uses hash nothing');
      assert.equal(compares.mock.callCount(), 11, 'every use is a constant-time comparison');
      const wrongSecret = `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`;
      assert.deepEqual(await verifier.verify(wrongSecret), { ok: false, reason: 'unknown' });
      assert.equal(hashes.mock.callCount(), 2, 'a wrong secret on a proved prefix is hashed, like any refusal');
      assert.equal((await verifier.verify(key)).ok, true, 'and does not unsettle the proved key');
    } finally {
      hashes.mock.restore();
      compares.mock.restore();
      syncBuiltinESMExports();
    }
  });

  it('concurrent first uses of one key share one read', async () => {
    const keys = new FakeKeys();
    const key = keys.add('admin');
    let release!: () => void;
    keys.gate = new Promise((resolve) => (release = resolve));
    const { verifier } = await verifierOver(keys, 60_000);
    const verdicts = Array.from({ length: 50 }, () => verifier.verify(key));
    release();
    for (const verdict of await Promise.all(verdicts)) assert.equal(verdict.ok, true);
    assert.equal(keys.reads, 1);
  });

  it('a revocation is seen once the TTL has passed (and not before: that is the price of no read per request)', async () => {
    const keys = new FakeKeys();
    const key = keys.add('store', 'store-a');
    const { verifier } = await verifierOver(keys, 200);
    assert.equal((await verifier.verify(key)).ok, true);
    keys.records.get(prefixFrom(key)!)!.revokedAt = new Date();
    assert.equal((await verifier.verify(key)).ok, true, 'cached');
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual(await verifier.verify(key), { ok: false, reason: 'revoked' });
  });

  it('TTL 0 reads on every request', async () => {
    const keys = new FakeKeys();
    const key = keys.add('admin');
    const { verifier } = await verifierOver(keys, 0);
    for (let i = 0; i < 3; i++) await verifier.verify(key);
    assert.equal(keys.reads, 3);
  });

  it('refusals: missing, malformed, unknown (also a wrong secret or kind), revoked — each counted', async () => {
    const keys = new FakeKeys();
    const key = keys.add('store', 'store-a');
    const revoked = keys.add('admin');
    keys.records.get(prefixFrom(revoked)!)!.revokedAt = new Date();
    const { verifier, registry } = await verifierOver(keys, 60_000);
    assert.deepEqual(await verifier.verify(undefined), { ok: false, reason: 'missing' });
    assert.deepEqual(await verifier.verify('nope'), { ok: false, reason: 'malformed' });
    assert.deepEqual(await verifier.verify(generateKey('admin').key), { ok: false, reason: 'unknown' });
    assert.deepEqual(await verifier.verify(`${prefixFrom(key)}_${'a'.repeat(64)}`), { ok: false, reason: 'unknown' });
    assert.deepEqual(await verifier.verify(key.replace('wsk_store_', 'wsk_admin_')), { ok: false, reason: 'unknown' });
    assert.deepEqual(await verifier.verify(revoked), { ok: false, reason: 'revoked' });
    const text = await registry.metrics();
    for (const [reason, count] of [
      ['missing', 1],
      ['malformed', 1],
      ['unknown', 3],
      ['revoked', 1],
    ] as const) {
      assert.match(text, new RegExp(`api_key_rejections_total\\{reason="${reason}"\\} ${count}\\b`));
    }
  });
});
