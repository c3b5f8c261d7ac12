import { Injectable } from '@nestjs/common';
import { StoreRepository } from './store.repository.js';

const MAX_CACHED_STORES = 100_000;

@Injectable()
export class StoresService {
  /**
   * store_uuid → id of stores already committed. Stores are never deleted or renamed, so an entry
   * never goes stale; only ids read from committed rows go in (never one inserted by a transaction
   * that might still roll back). Saves a round trip on nearly every POST.
   */
  private readonly knownIds = new Map<string, number>();

  constructor(private readonly stores: StoreRepository) {}

  /** The store's id, creating the store on first sight (inside the caller's transaction). */
  async ensure(storeUuid: string): Promise<number> {
    const known = this.knownIds.get(storeUuid);
    if (known !== undefined) return known;
    const row = await this.stores.insertOrFind(storeUuid);
    if (row) {
      if (row.committed) this.remember(storeUuid, row.id);
      return row.id;
    }
    const id = await this.stores.findId(storeUuid);
    if (id === undefined) throw new Error(`store ${storeUuid} neither inserted nor found`);
    this.remember(storeUuid, id);
    return id;
  }

  private remember(storeUuid: string, id: number): void {
    // Oldest-first eviction keeps memory bounded; a miss only costs the round trip we save otherwise.
    if (this.knownIds.size >= MAX_CACHED_STORES) this.knownIds.delete(this.knownIds.keys().next().value!);
    this.knownIds.set(storeUuid, id);
  }
}
