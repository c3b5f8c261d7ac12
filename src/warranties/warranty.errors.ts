import { DomainError } from '../common/domain-error.js';

export class ItemNotEligibleError extends DomainError {
  constructor(itemType: string, itemCost: number) {
    super('not-eligible', 'ITEM_NOT_ELIGIBLE', `No protection plan is offered for item_type "${itemType}" at item_cost ${itemCost}`, [
      { field: 'item_type', message: 'no plan for this type at this cost' },
      { field: 'item_cost', message: 'no plan for this type at this cost' },
    ]);
  }
}

export class WarrantyNotFoundError extends DomainError {
  constructor(id: number) {
    super('not-found', 'NOT_FOUND', `Warranty ${id} not found`);
  }
}
