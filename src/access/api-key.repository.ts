import { Injectable } from '@nestjs/common';
import { EntityManager, type InferKyselyDB } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { ApiKeySchema } from './api-key.entity.js';
import type { KeyKind } from './api-key.js';
import type { Budget } from './budget.js';

type AccessTables = InferKyselyDB<typeof ApiKeySchema>;

/** An api_key row as the access module handles it (never the key: only its hash). */
export interface ApiKeyRecord {
  prefix: string;
  kind: KeyKind;
  storeUuid: string | null;
  keyHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** The key's own budget; null: the default of its kind (budget.ts). */
  budget: Budget | null;
}

const COLUMNS = [
  'prefix',
  'kind',
  'store_uuid',
  'key_hash',
  'created_at',
  'last_used_at',
  'revoked_at',
  'rate_limit_rate',
  'rate_limit_burst',
] as const;

const toRecord = (row: {
  prefix: string;
  kind: string;
  store_uuid: string | null;
  key_hash: string;
  created_at: Date | string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
  rate_limit_rate: number | null;
  rate_limit_burst: number | null;
}): ApiKeyRecord => ({
  prefix: row.prefix,
  kind: row.kind as KeyKind,
  storeUuid: row.store_uuid,
  keyHash: row.key_hash,
  createdAt: new Date(row.created_at),
  lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  budget: row.rate_limit_rate === null || row.rate_limit_burst === null ? null : { rate: row.rate_limit_rate, burst: row.rate_limit_burst },
});

/**
 * The api_key table. Every statement here is a cold path — a key is read once per cache TTL per
 * process, written when issued, revoked or (at most once a minute) used — so all go through the
 * ORM's Kysely, typed from the entity, rather than prepared SQL.
 */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly em: EntityManager) {}

  private get db() {
    return this.em.getKysely<AccessTables>();
  }

  async insert(key: {
    prefix: string;
    kind: KeyKind;
    storeUuid: string | null;
    keyHash: string;
    budget: Budget | null;
  }): Promise<ApiKeyRecord> {
    const row = await this.db
      .insertInto('api_key')
      .values({
        prefix: key.prefix,
        kind: key.kind,
        store_uuid: key.storeUuid,
        key_hash: key.keyHash,
        rate_limit_rate: key.budget?.rate ?? null,
        rate_limit_burst: key.budget?.burst ?? null,
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async findByPrefix(prefix: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_key').select(COLUMNS).where('prefix', '=', prefix).executeTakeFirst();
    return row && toRecord(row);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_key').select(COLUMNS).orderBy('id').execute();
    return rows.map(toRecord);
  }

  /** Marks the key revoked; false when there is no such key or it already was. */
  async revoke(prefix: string): Promise<boolean> {
    const rows = await this.db
      .updateTable('api_key')
      .set({ revoked_at: sql<Date>`now()` })
      .where('prefix', '=', prefix)
      .where('revoked_at', 'is', null)
      .returning('prefix')
      .execute();
    return rows.length > 0;
  }

  /** Sets the key's own budget (null: back to its kind's default); false when there is no such key. */
  async setBudget(prefix: string, budget: Budget | null): Promise<boolean> {
    const rows = await this.db
      .updateTable('api_key')
      .set({ rate_limit_rate: budget?.rate ?? null, rate_limit_burst: budget?.burst ?? null })
      .where('prefix', '=', prefix)
      .returning('prefix')
      .execute();
    return rows.length > 0;
  }

  /** Notes that the key was used, unless it was within the last minute (other processes touch it too). */
  async touch(prefix: string): Promise<void> {
    await this.db
      .updateTable('api_key')
      .set({ last_used_at: sql<Date>`now()` })
      .where('prefix', '=', prefix)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
      .execute();
  }
}
