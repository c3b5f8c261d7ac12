import { Migration } from '@mikro-orm/migrations';

/**
 * The change feed (SPEC, Change feed): each item's change position — the id of the transaction that last
 * changed its fields or plan set (`change_xid`), the one that created it (`created_xid`), when
 * (`changed_at`) — and the pricing version of its plan set. Items already stored take position
 * ('1', id): before any transaction id, so a reader starting from the beginning gets them first, in id
 * order, as created; '1' is a constant default (no table rewrite), replaced by the transaction's own id
 * for rows written from now on. Their version and time of last change come from their plans.
 */
export class Migration20261204151849ChangeFeed extends Migration {
  override name = 'Migration20261204151849_change_feed';

  override up(): void | Promise<void> {
    this.addSql(
      `alter table "item" add "pricing_version" varchar(32) null, add "created_xid" xid8 not null default '1', add "change_xid" xid8 not null default '1', add "changed_at" timestamptz not null default now();`,
    );
    this.addSql(
      `update "item" i set ("pricing_version", "changed_at") = (select max(w.pricing_version), greatest(i.updated_at, max(w.updated_at)) from "warranty" w where w.item_id = i.id);`,
    );
    this.addSql(
      `alter table "item" alter column "created_xid" set default pg_current_xact_id(), alter column "change_xid" set default pg_current_xact_id();`,
    );
    this.addSql(`create index "item_change_index" on "item" ("change_xid", "id");`);
    this.addSql(`create index "item_store_change_index" on "item" ("store_id", "change_xid", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "item_change_index";`);
    this.addSql(`drop index "item_store_change_index";`);
    this.addSql(
      `alter table "item" drop column "pricing_version", drop column "created_xid", drop column "change_xid", drop column "changed_at";`,
    );
  }
}
