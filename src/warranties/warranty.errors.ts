import type { FieldProblem } from '../common/api-error.js';
import { DomainError } from '../common/domain-error.js';

/** The item gets no plan; `details` name the pricing rule that failed (unknown type, or cost out of range). */
export class ItemNotEligibleError extends DomainError {
  constructor(refusal: { message: string; details: FieldProblem[] }) {
    super('not-eligible', 'ITEM_NOT_ELIGIBLE', refusal.message, refusal.details);
  }
}

/** A store key used for another store's data (SPEC, Access): refused before anything is read or written. */
export class StoreMismatchError extends DomainError {
  constructor(keyStore: string, field: 'store_uuid', requested: string) {
    super('forbidden', 'STORE_MISMATCH', `This key belongs to store ${keyStore}; it cannot act for store ${requested}`, [
      { field, message: `must be this key's store (${keyStore})` },
    ]);
  }
}

export class WarrantyNotFoundError extends DomainError {
  constructor(id: number) {
    super('not-found', 'NOT_FOUND', `Warranty ${id} not found`);
  }
}
