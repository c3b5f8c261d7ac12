import { Migration } from '@mikro-orm/migrations';

/**
 * Pricing versions as data (SPEC, Pricing versions). Seeds the table that used to live in code,
 * 2026-11-01, as the first default version, effective from the beginning (1970-01-01T00:00:00Z), so
 * every warranty priced before this migration is explained by a version in force at its time. The
 * seed is written out here rather than read from src/pricing/pricing-rules.ts: a migration must build
 * the same rows whatever the code becomes (a test compares the two).
 */
export class Migration20261204123429PricingVersions extends Migration {
  override name = 'Migration20261204123429_pricing_versions';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "pricing_version" ("id" bigserial primary key, "version" varchar(32) not null, "effective_from" timestamptz not null, "store_uuids" text[] not null default '{}', "published_at" timestamptz not null default now());`,
    );
    this.addSql(`alter table "pricing_version" add constraint "pricing_version_version_unique" unique ("version");`);

    this.addSql(
      `create table "pricing_item_type" ("id" bigserial primary key, "version_id" bigint not null, "item_type" varchar(64) not null, "min_cost" numeric(12,2) not null, "max_cost" numeric(12,2) not null);`,
    );
    this.addSql(
      `alter table "pricing_item_type" add constraint "pricing_item_type_version_type_unique" unique ("version_id", "item_type");`,
    );

    this.addSql(
      `create table "pricing_plan" ("id" bigserial primary key, "item_type_id" bigint not null, "duration_months" smallint not null, "base" numeric(12,2) not null, "rate_basis_points" int not null);`,
    );
    this.addSql(
      `alter table "pricing_plan" add constraint "pricing_plan_item_type_duration_unique" unique ("item_type_id", "duration_months");`,
    );

    this.addSql(
      `alter table "pricing_item_type" add constraint "pricing_item_type_version_id_fkey" foreign key ("version_id") references "pricing_version" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "pricing_item_type" add constraint "pricing_item_type_range_check" check (min_cost > 0 AND min_cost < max_cost);`,
    );

    this.addSql(
      `alter table "pricing_plan" add constraint "pricing_plan_item_type_id_fkey" foreign key ("item_type_id") references "pricing_item_type" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "pricing_plan" add constraint "pricing_plan_duration_months_check" check (duration_months >= 1 AND duration_months <= 120);`,
    );
    this.addSql(`alter table "pricing_plan" add constraint "pricing_plan_base_check" check (base >= 0);`);
    this.addSql(
      `alter table "pricing_plan" add constraint "pricing_plan_rate_check" check (rate_basis_points >= 0 AND rate_basis_points <= 10000);`,
    );

    // The shipped table, 2026-11-01: (type, min cost, max cost) and (type, months, base, rate in basis points).
    this.addSql(`insert into "pricing_version" ("version", "effective_from") values ('2026-11-01', '1970-01-01T00:00:00Z');`);
    this.addSql(`
      insert into "pricing_item_type" ("version_id", "item_type", "min_cost", "max_cost")
      select v.id, t.item_type, t.min_cost, t.max_cost
      from "pricing_version" v,
        (values ('furniture', 50.00, 10000.00), ('electronics', 20.00, 20000.00), ('appliances', 50.00, 15000.00),
                ('computers', 100.00, 20000.00), ('phones', 50.00, 5000.00), ('jewelry', 25.00, 50000.00),
                ('mattresses', 100.00, 8000.00), ('bicycles', 100.00, 15000.00)) as t (item_type, min_cost, max_cost)
      where v.version = '2026-11-01';`);
    this.addSql(`
      insert into "pricing_plan" ("item_type_id", "duration_months", "base", "rate_basis_points")
      select t.id, p.duration_months, p.base, p.rate_basis_points
      from "pricing_item_type" t
      join "pricing_version" v on v.id = t.version_id
      join (values ('furniture', 12, 5.00, 1000), ('furniture', 24, 6.00, 1400),
                   ('electronics', 12, 3.00, 900), ('electronics', 24, 5.00, 1500), ('electronics', 36, 7.00, 2000),
                   ('appliances', 12, 4.00, 700), ('appliances', 24, 6.00, 1200), ('appliances', 36, 8.00, 1600),
                   ('computers', 12, 5.00, 1000), ('computers', 24, 5.00, 1700), ('computers', 36, 5.00, 2300),
                   ('phones', 12, 3.00, 1200), ('phones', 24, 3.00, 2000),
                   ('jewelry', 12, 2.00, 600), ('jewelry', 24, 3.00, 1000),
                   ('mattresses', 24, 5.00, 600), ('mattresses', 36, 5.00, 900),
                   ('bicycles', 12, 4.00, 800), ('bicycles', 24, 4.00, 1300))
        as p (item_type, duration_months, base, rate_basis_points) on p.item_type = t.item_type
      where v.version = '2026-11-01';`);

    // Published versions never change: the database refuses any UPDATE of their rows (the entities' triggers).
    this.addSql(
      `create or replace function "pricing_version_pricing_version_immutable_fn"() returns trigger as $$ begin raise exception 'a published pricing version never changes (pricing_version is read-only): publish a new version' using errcode = 'integrity_constraint_violation'; end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "pricing_version_immutable" BEFORE UPDATE on "pricing_version" for each STATEMENT execute function "pricing_version_pricing_version_immutable_fn"();`,
    );
    this.addSql(
      `create or replace function "pricing_item_type_pricing_item_type_immutable_fn"() returns trigger as $$ begin raise exception 'a published pricing version never changes (pricing_item_type is read-only): publish a new version' using errcode = 'integrity_constraint_violation'; end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "pricing_item_type_immutable" BEFORE UPDATE on "pricing_item_type" for each STATEMENT execute function "pricing_item_type_pricing_item_type_immutable_fn"();`,
    );
    this.addSql(
      `create or replace function "pricing_plan_pricing_plan_immutable_fn"() returns trigger as $$ begin raise exception 'a published pricing version never changes (pricing_plan is read-only): publish a new version' using errcode = 'integrity_constraint_violation'; end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "pricing_plan_immutable" BEFORE UPDATE on "pricing_plan" for each STATEMENT execute function "pricing_plan_pricing_plan_immutable_fn"();`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "pricing_item_type" drop constraint "pricing_item_type_version_id_fkey";`);
    this.addSql(`alter table "pricing_plan" drop constraint "pricing_plan_item_type_id_fkey";`);

    this.addSql(`drop table if exists "pricing_version" cascade;`);
    this.addSql(`drop table if exists "pricing_item_type" cascade;`);
    this.addSql(`drop table if exists "pricing_plan" cascade;`);
    this.addSql(`drop function if exists "pricing_item_type_pricing_item_type_immutable_fn"();`);
    this.addSql(`drop function if exists "pricing_plan_pricing_plan_immutable_fn"();`);
    this.addSql(`drop function if exists "pricing_version_pricing_version_immutable_fn"();`);
  }
}
