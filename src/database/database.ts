/** An open transaction, passed back into `query` so statements run inside it. Opaque outside the database module. */
export type DbTransaction = { readonly __brand: 'DbTransaction' };

export type Row = Record<string, unknown>;

/**
 * The small surface the domain modules need from PostgreSQL. Injected by Nest (token: this class),
 * so services never reach for the ORM's internals, and unit tests can hand in a fake.
 * Placeholders are `?` (MikroORM's convention); never put a literal `?` in SQL text.
 */
export abstract class Database {
  abstract query<T extends Row = Row>(sql: string, params?: readonly unknown[], tx?: DbTransaction): Promise<T[]>;
  abstract transaction<T>(work: (tx: DbTransaction) => Promise<T>): Promise<T>;
  abstract ping(): Promise<void>;
}
