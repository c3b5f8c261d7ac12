import type { FieldProblem } from '../common/api-error.js';
import { DomainError } from '../common/domain-error.js';

/** The item gets no plan; `details` name the pricing rule that failed (unknown type, or cost out of range). */
export class ItemNotEligibleError extends DomainError {
  constructor(refusal: { message: string; details: FieldProblem[] }) {
    super('not-eligible', 'ITEM_NOT_ELIGIBLE', refusal.message, refusal.details);
  }
}

/** A version's name is taken: published versions never change, so a name is never reused while it exists. */
export class VersionExistsError extends DomainError {
  constructor(version: string) {
    super('conflict', 'VERSION_EXISTS', `Pricing version ${version} already exists; publish a new version under another name`, [
      { field: 'version', message: `is taken by a published version (${version})` },
    ]);
  }
}

/** A proposed version breaks the pricing rules; `details` name each broken rule. */
export class InvalidPricingError extends DomainError {
  constructor(problems: FieldProblem[]) {
    super('invalid', 'INVALID_PRICING', `The pricing version breaks ${problems.length} rule${problems.length === 1 ? '' : 's'}`, problems);
  }
}

/** Withdrawing a version whose time has come: history is never rewritten. */
export class VersionInForceError extends DomainError {
  constructor(version: string, effectiveFrom: number) {
    super(
      'conflict',
      'VERSION_IN_FORCE',
      `Pricing version ${version} took effect at ${new Date(effectiveFrom).toISOString()}; only a scheduled version can be withdrawn`,
      [{ field: 'version', message: 'is no longer scheduled' }],
    );
  }
}

export class VersionNotFoundError extends DomainError {
  constructor(version: string) {
    super('not-found', 'NOT_FOUND', `Pricing version ${version} not found`);
  }
}
