import { Migration } from '@mikro-orm/migrations';

/**
 * Initial schema. Indexes and what each one serves:
 * - store_uuid_unique            store lookup/upsert by store_uuid (ON CONFLICT target)
 * - item_store_sku_unique        item upsert by (store, SKU) (ON CONFLICT target); GET ?store_uuid&sku
 * - item_sku_index               GET ?sku across stores
 * - warranty_item_duration_unique plan upsert per (item, duration) (ON CONFLICT target); plans of one item
 * - warranty_store_id_index      GET ?store_uuid: keyset walk (store_id, id > cursor) — page cost independent of depth
 * - warranty_item_type_id_index  GET ?item_type: keyset walk (item_type, id > cursor)
 * - warranty primary key         GET with no filter: keyset walk on id
 * - archive_record_pending_index the sweeper's claim query: pending records by due time (partial, stays small)
 * - archive_record_archived_index retention pruning of archived records (partial)
 */
export class Migration20261125000000Initial extends Migration {
  override name = 'Migration20261125000000_initial';

  override up(): void {
    this.addSql(`
      CREATE TABLE store (
        id bigserial PRIMARY KEY,
        uuid varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT store_uuid_unique UNIQUE (uuid)
      )`);
    this.addSql(`
      CREATE TABLE item (
        id bigserial PRIMARY KEY,
        store_id bigint NOT NULL REFERENCES store (id),
        sku varchar(128) NOT NULL,
        type varchar(64) NOT NULL,
        title varchar(255) NOT NULL,
        cost numeric(12, 2) NOT NULL CHECK (cost > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT item_store_sku_unique UNIQUE (store_id, sku)
      )`);
    this.addSql(`CREATE INDEX item_sku_index ON item (sku)`);
    this.addSql(`
      CREATE TABLE warranty (
        id bigserial PRIMARY KEY,
        item_id bigint NOT NULL REFERENCES item (id) ON DELETE CASCADE,
        store_id bigint NOT NULL REFERENCES store (id),
        item_type varchar(64) NOT NULL,
        duration_months smallint NOT NULL CHECK (duration_months > 0),
        price numeric(12, 2) NOT NULL CHECK (price >= 0),
        pricing_version varchar(32) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT warranty_item_duration_unique UNIQUE (item_id, duration_months)
      )`);
    this.addSql(`CREATE INDEX warranty_store_id_index ON warranty (store_id, id)`);
    this.addSql(`CREATE INDEX warranty_item_type_id_index ON warranty (item_type, id)`);
    this.addSql(`
      CREATE TABLE archive_record (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL,
        object_key text NOT NULL,
        document jsonb NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        archived_at timestamptz,
        CONSTRAINT archive_record_event_id_unique UNIQUE (event_id)
      )`);
    this.addSql(`CREATE INDEX archive_record_pending_index ON archive_record (next_attempt_at) WHERE archived_at IS NULL`);
    this.addSql(`CREATE INDEX archive_record_archived_index ON archive_record (archived_at) WHERE archived_at IS NOT NULL`);
  }

  override down(): void {
    this.addSql('DROP TABLE IF EXISTS archive_record');
    this.addSql('DROP TABLE IF EXISTS warranty');
    this.addSql('DROP TABLE IF EXISTS item');
    this.addSql('DROP TABLE IF EXISTS store');
  }
}
