import { Migration } from '@mikro-orm/migrations';

/**
 * Rate limits (docs/contract/access.md#rate-limits): a key's own budget on api_key (both columns or neither; none means
 * the default of its kind), and the buckets every instance leases tokens from.
 */
export class Migration20261204150916RateLimits extends Migration {
  override name = 'Migration20261204150916_rate_limits';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "rate_limit_bucket" ("key_prefix" varchar(32) not null, "rate" int not null, "burst" int not null, "tokens" double precision not null, "granted" int not null, "refilled_at" timestamptz not null, primary key ("key_prefix"));`,
    );

    this.addSql(`alter table "api_key" add "rate_limit_rate" int null, add "rate_limit_burst" int null;`);
    this.addSql(
      `alter table "api_key" add constraint "api_key_budget_check" check ((rate_limit_rate IS NULL) = (rate_limit_burst IS NULL) AND rate_limit_rate > 0 AND rate_limit_burst > 0);`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "rate_limit_bucket" cascade;`);
    this.addSql(`alter table "api_key" drop constraint "api_key_budget_check";`);
    this.addSql(`alter table "api_key" drop column "rate_limit_rate", drop column "rate_limit_burst";`);
  }
}
