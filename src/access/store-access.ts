import { DomainError } from '../common/domain-error.js';
import type { Caller } from './api-key.js';

/** A store key used for another store's data (SPEC, Access): refused before anything is read or written. */
export class StoreMismatchError extends DomainError {
  constructor(keyStore: string, field: 'store_uuid', requested: string) {
    super('forbidden', 'STORE_MISMATCH', `This key belongs to store ${keyStore}; it cannot act for store ${requested}`, [
      { field, message: `must be this key's store (${keyStore})` },
    ]);
  }
}

/** A store key may only act for its own store (SPEC, Access); an admin key for any. */
export function assertMayActFor(caller: Caller, storeUuid: string): void {
  if (caller.kind === 'store' && caller.storeUuid !== storeUuid) throw new StoreMismatchError(caller.storeUuid, 'store_uuid', storeUuid);
}
