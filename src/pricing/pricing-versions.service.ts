import { Injectable } from '@nestjs/common';
import { DatabaseNotifications } from '../database/notifications.js';
import { Sql } from '../database/sql.js';
import { stateOf } from './in-force.js';
import { PRICING_CHANNEL, PricingCatalog } from './pricing-catalog.js';
import { PricingVersionRepository } from './pricing-version.repository.js';
import type { PricingVersion, VersionState } from './pricing-version.js';
import { InvalidPricingError, VersionExistsError, VersionInForceError, VersionNotFoundError } from './pricing.errors.js';
import { pricingProblems, type VersionDraft } from './version-rules.js';

export interface VersionWithState {
  version: PricingVersion;
  state: VersionState;
}

const byTime = (a: PricingVersion, b: PricingVersion) => a.effectiveFrom - b.effectiveFrom || a.sequence - b.sequence;

/**
 * Publishing, listing and withdrawing pricing versions (admin). A publication or a withdrawal
 * commits with a NOTIFY, so every process reloads at once; this process reloads before it answers,
 * so its own next quote already follows the change.
 */
@Injectable()
export class PricingVersionsService {
  constructor(
    private readonly sql: Sql,
    private readonly repository: PricingVersionRepository,
    private readonly catalog: PricingCatalog,
    private readonly notifications: DatabaseNotifications,
  ) {}

  /** 422 naming every broken rule; 409 when the name is taken (also when the draft breaks rules: a name is taken whatever it holds). */
  async publish(draft: VersionDraft): Promise<VersionWithState> {
    const problems = pricingProblems(draft, Date.now());
    if (problems.length > 0) {
      if (await this.exists(draft.version)) throw new VersionExistsError(draft.version);
      throw new InvalidPricingError(problems);
    }
    const inserted = await this.sql.transaction(async () => {
      if (!(await this.repository.insert(draft))) return false;
      await this.notifications.notify(PRICING_CHANNEL, `published ${draft.version}`);
      return true;
    });
    if (!inserted) throw new VersionExistsError(draft.version);
    await this.catalog.reload();
    return this.withState(this.find(draft.version) ?? missing(draft.version));
  }

  /** Every version with its state now, by effective_from (then publication order): read afresh from the database. */
  async list(): Promise<VersionWithState[]> {
    await this.catalog.reload();
    return this.catalog
      .all()
      .sort(byTime)
      .map((version) => this.withState(version));
  }

  /** 204 while scheduled; 409 once its time has come (or less than a second before it); 404 for no such version. */
  async withdraw(name: string): Promise<void> {
    const outcome = await this.sql.transaction(async () => {
      const result = await this.repository.withdraw(name);
      if (result.withdrawn) await this.notifications.notify(PRICING_CHANNEL, `withdrawn ${name}`);
      return result;
    });
    if (!outcome.withdrawn) {
      if (outcome.effectiveFrom === undefined) throw new VersionNotFoundError(name);
      throw new VersionInForceError(name, outcome.effectiveFrom);
    }
    await this.catalog.reload();
  }

  private async exists(name: string): Promise<boolean> {
    await this.catalog.reload();
    return this.find(name) !== undefined;
  }

  private find(name: string): PricingVersion | undefined {
    return this.catalog.all().find((version) => version.table.version === name);
  }

  private withState(version: PricingVersion): VersionWithState {
    return { version, state: stateOf(this.catalog.all(), version, Date.now()) };
  }
}

function missing(name: string): never {
  throw new Error(`pricing version ${name} was published but is not in the catalog after a reload`);
}
