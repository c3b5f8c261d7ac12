import { DomainError } from '../common/domain-error.js';

export class WarrantyNotFoundError extends DomainError {
  constructor(id: number) {
    super('not-found', 'NOT_FOUND', `Warranty ${id} not found`);
  }
}
