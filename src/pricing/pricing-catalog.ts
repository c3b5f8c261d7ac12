import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { DatabaseBusyError, isDatabaseUnavailable } from '../database/database-errors.js';
import { DatabaseOutage } from '../database/database-outage.js';
import { DatabaseNotifications, type ChannelListener } from '../database/notifications.js';
import { snapshotAt, type InForceSnapshot } from './in-force.js';
import { PricingVersionRepository } from './pricing-version.repository.js';
import { isDefaultVersion, type PricingVersion } from './pricing-version.js';

/** The channel a publication or withdrawal is announced on (NOTIFY, delivered at commit). */
export const PRICING_CHANNEL = 'pricing_versions';

/** setTimeout's longest delay (about 24.8 days); a later switch is re-armed from there. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Until the first load succeeds (the database was down at start-up), it is tried this often. */
const FIRST_LOAD_RETRY_MS = 1_000;

/**
 * Every published pricing version, held in memory by each process, so that quoting reads no table
 * from the database. Which version is in force for which store is a snapshot (in-force.ts) that
 * holds until the next effective_from: a timer rebuilds it then, and a request that finds the
 * snapshot past its time (a late timer) rebuilds it first — so every process switches at the
 * instant itself, by its own clock, without a restart. Publications and withdrawals reach every
 * process at once by LISTEN/NOTIFY; each process also reloads every PRICING_RELOAD_INTERVAL_MS and
 * after its listening connection came back, in case a notification was lost. Versions never
 * change, so a reload only reads the ids, and then the versions it does not hold yet.
 */
@Injectable()
export class PricingCatalog implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Pricing');
  private versions = new Map<number, PricingVersion>();
  private snapshot: InForceSnapshot | undefined;
  private loaded = false;
  private switchTimer: NodeJS.Timeout | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private listener: ChannelListener | undefined;
  /** The reload running now, and whether another was asked for meanwhile (it then runs once more). */
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private stopped = false;

  constructor(
    private readonly repository: PricingVersionRepository,
    private readonly notifications: DatabaseNotifications,
    private readonly outage: DatabaseOutage,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  /** Loads the versions before the application serves; a database that is down then does not stop the start-up (quotes get 503 until it is back). */
  async onModuleInit(): Promise<void> {
    await this.reloadLogged();
    this.listener = await this.notifications
      .listen(PRICING_CHANNEL, {
        onNotification: () => void this.reloadLogged(),
        onListening: () => void this.reloadLogged(),
      })
      .catch((error: unknown) => {
        this.logger.warn({ message: 'cannot listen for pricing changes; relying on periodic reloads', error: String(error) });
        return undefined;
      });
    this.scheduleReload();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.switchTimer);
    clearTimeout(this.reloadTimer);
    await this.listener?.close();
    await this.reloading?.catch(() => undefined);
  }

  /** The version in force for `storeUuid` now (undefined: the default table). 503 until the versions could be read once. */
  inForce(storeUuid: string | undefined): PricingVersion {
    const snapshot = this.current();
    const version = (storeUuid !== undefined ? snapshot.byStore.get(storeUuid) : undefined) ?? snapshot.fallback;
    if (!version) throw new Error('no pricing version is in force (the first default version was withdrawn from the database)');
    return version;
  }

  /** Every version this process holds (for the resolver's questions beyond "in force now"). */
  all(): PricingVersion[] {
    this.current();
    return [...this.versions.values()];
  }

  /**
   * Reads what changed since the last reload; concurrent calls share a run (one asked for while a
   * run is under way gets another run after it, so it sees everything committed before it asked).
   */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    const run = async () => {
      do {
        this.reloadAgain = false;
        await this.reloadOnce();
      } while (this.reloadAgain);
    };
    this.reloading = run().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private current(): InForceSnapshot {
    if (!this.loaded || !this.snapshot) throw new DatabaseBusyError('the pricing versions have not been read from the database yet');
    if (Date.now() >= this.snapshot.validUntil) this.rebuild();
    return this.snapshot!;
  }

  private async reloadOnce(): Promise<void> {
    const ids = new Set(await this.repository.ids());
    const added = [...ids].filter((id) => !this.versions.has(id));
    const removed = [...this.versions.keys()].filter((id) => !ids.has(id));
    const loaded = added.length > 0 ? await this.repository.load(added) : [];
    this.outage.recovered();
    if (this.loaded && loaded.length === 0 && removed.length === 0) return;
    const versions = new Map(this.versions);
    for (const id of removed) versions.delete(id);
    for (const version of loaded) versions.set(version.sequence, version);
    this.versions = versions;
    this.loaded = true;
    for (const version of loaded) this.logger.log({ message: 'pricing version known', ...summary(version) });
    if (removed.length > 0) this.logger.log({ message: 'pricing versions withdrawn', count: removed.length });
    this.rebuild();
  }

  /** A reload whose failure is logged (a database outage once, see DatabaseOutage), never thrown: the next one catches up. */
  private async reloadLogged(): Promise<void> {
    try {
      await this.reload();
    } catch (error) {
      if (isDatabaseUnavailable(error)) this.outage.failed(error);
      else
        this.logger.warn({
          message: 'reloading the pricing versions failed',
          error: error instanceof Error ? error.message : String(error),
        });
    }
  }

  private scheduleReload(): void {
    if (this.stopped) return;
    const delay = this.loaded ? this.config.pricing.reloadIntervalMs : FIRST_LOAD_RETRY_MS;
    this.reloadTimer = setTimeout(() => {
      void Promise.all([this.reloadLogged(), this.listener?.verify()]).finally(() => this.scheduleReload());
    }, delay);
    this.reloadTimer.unref();
  }

  /** The snapshot for now, and a timer to the next switch. */
  private rebuild(): void {
    const before = this.snapshot;
    const now = Date.now();
    this.snapshot = snapshotAt([...this.versions.values()], now);
    if (before && before.fallback !== this.snapshot.fallback && this.snapshot.fallback) {
      this.logger.log({ message: 'default pricing version in force', version: this.snapshot.fallback.table.version });
    }
    this.armSwitch();
  }

  /** A timer to the next effective_from; one that fires early (timer granularity, the 24.8-day cap) is re-armed. */
  private armSwitch(): void {
    clearTimeout(this.switchTimer);
    const validUntil = this.snapshot?.validUntil ?? Infinity;
    if (this.stopped || validUntil === Infinity) return;
    this.switchTimer = setTimeout(
      () => {
        if (Date.now() >= validUntil) this.rebuild();
        else this.armSwitch();
      },
      Math.min(Math.max(validUntil - Date.now(), 0), MAX_TIMER_MS),
    );
    this.switchTimer.unref();
  }
}

const summary = (version: PricingVersion) => ({
  version: version.table.version,
  effective_from: new Date(version.effectiveFrom).toISOString(),
  stores: isDefaultVersion(version) ? 'all (default)' : version.storeUuids.length,
});
