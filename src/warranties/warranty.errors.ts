import { DomainError } from '../common/domain-error.js';

/** Pricing's refusal: the item gets no plan (it moved to the pricing module, which the quote endpoint refuses with too). */
export { ItemNotEligibleError } from '../pricing/pricing.errors.js';

/** A store key used for another store's data: the access module's refusal, which the pricing module gives too. */
export { StoreMismatchError } from '../access/store-access.js';

export class WarrantyNotFoundError extends DomainError {
  constructor(id: number) {
    super('not-found', 'NOT_FOUND', `Warranty ${id} not found`);
  }
}
