import { Migration } from '@mikro-orm/migrations';

export class Migration20261127125333ApiKeys extends Migration {
  override name = 'Migration20261127125333_api_keys';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "api_key" ("id" bigserial primary key, "prefix" varchar(32) not null, "kind" varchar(8) not null, "store_uuid" varchar(64) null, "key_hash" varchar(64) not null, "created_at" timestamptz not null default now(), "last_used_at" timestamptz null, "revoked_at" timestamptz null);`,
    );
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);

    this.addSql(`alter table "api_key" add constraint "api_key_kind_check" check (kind IN ('admin', 'store'));`);
    this.addSql(`alter table "api_key" add constraint "api_key_store_check" check ((kind = 'store') = (store_uuid IS NOT NULL));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "api_key" cascade;`);
  }
}
