import { badRequest, conflict, type ErrorDoc, type Example } from '../http/api-docs.js';
import { explainEligibility, ineligibilityProblem } from './eligibility.js';
import { SHIPPED_PRICING } from './pricing-rules.js';
import { pricingProblems } from './version-rules.js';

/** The codes pricing's errors carry (pricing.errors.ts). */
export const PRICING_ERROR_CODES = ['ITEM_NOT_ELIGIBLE', 'INVALID_PRICING', 'VERSION_EXISTS', 'VERSION_IN_FORCE'] as const;

function notEligibleExample(summary: string, itemType: string, costCents: number): Example {
  const eligibility = explainEligibility(SHIPPED_PRICING, itemType, costCents);
  if (eligibility.eligible) throw new Error(`example ${itemType} at ${costCents} is eligible`);
  const { message, details } = ineligibilityProblem(eligibility, itemType, costCents);
  return { summary, value: { statusCode: 422, error: 'Unprocessable Entity', code: 'ITEM_NOT_ELIGIBLE', message, details } };
}

/** The 422 INVALID_PRICING example, found by the rules themselves in a draft that breaks four of them. */
function invalidPricingExample(): Example {
  const now = Date.parse('2027-01-01T00:00:00Z');
  const problems = pricingProblems(
    {
      version: '2027-01-01',
      effectiveFrom: Date.parse('2026-12-31T00:00:00Z'),
      storeUuids: [],
      itemTypes: [
        {
          itemType: 'furniture',
          minCostCents: 5_000,
          maxCostCents: 1_000_000,
          plans: [{ durationMonths: 12, baseCents: 0, rateBasisPoints: 0 }],
        },
        {
          itemType: 'furniture',
          minCostCents: 10_000,
          maxCostCents: 5_000,
          plans: [
            { durationMonths: 24, baseCents: 600, rateBasisPoints: 1400 },
            { durationMonths: 240, baseCents: 600, rateBasisPoints: 1400 },
          ],
        },
      ],
    },
    now,
  );
  const message = `The pricing version breaks ${problems.length} rules`;
  return {
    summary: 'Broken pricing rules',
    value: { statusCode: 422, error: 'Unprocessable Entity', code: 'INVALID_PRICING', message, details: problems },
  };
}

export const BAD_VERSION_BODY: ErrorDoc = {
  status: 400,
  description: 'A body of the wrong shape; `details` names every offending field by its path. Also malformed JSON (code MALFORMED_JSON).',
  examples: {
    fields: badRequest('Wrong shapes', 'Invalid request: item_types[0].plans[0].rate, effective_from', [
      { field: 'item_types[0].plans[0].rate', message: 'must have at most 4 decimal places' },
      { field: 'effective_from', message: 'must be an ISO 8601 instant with an offset, e.g. 2027-01-01T00:00:00Z' },
    ]),
  },
};

export const BAD_STORE_QUERY: ErrorDoc = {
  status: 400,
  description: 'Unknown, repeated, empty or malformed query parameter; `details` names each.',
  examples: {
    query: badRequest('Bad store_uuid', 'Invalid request: store_uuid', [
      { field: 'store_uuid', message: 'may only contain A-Z, a-z, 0-9, _ and -' },
    ]),
  },
};

export const BAD_VERSION_PATH: ErrorDoc = {
  status: 400,
  description: 'The path does not name a version (1–32 characters of A-Z, a-z, 0-9, ., _ and -).',
  examples: {
    version: badRequest('Not a version name', 'Invalid request: version', [
      { field: 'version', message: 'may only contain A-Z, a-z, 0-9, ., _ and -' },
    ]),
  },
};

export const VERSION_NOT_FOUND: ErrorDoc = {
  status: 404,
  description: 'No version of this name (never published, or withdrawn).',
  examples: {
    missing: {
      summary: 'Unknown version',
      value: { statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'Pricing version 2027-01-01 not found', details: [] },
    },
  },
};

export const VERSION_EXISTS: ErrorDoc = {
  status: 409,
  description: 'A version of this name exists: published versions never change, so publish under a new name. Nothing is written.',
  examples: {
    exists: conflict(
      'Name taken',
      'VERSION_EXISTS',
      'Pricing version 2026-11-01 already exists; publish a new version under another name',
      'version',
      'is taken by a published version (2026-11-01)',
    ),
  },
};

export const VERSION_IN_FORCE: ErrorDoc = {
  status: 409,
  description:
    'The version’s time has come (or is less than a second away): it is or was in force, and history is never rewritten. ' +
    'To change prices again, publish a newer version.',
  examples: {
    inForce: conflict(
      'Already in force',
      'VERSION_IN_FORCE',
      'Pricing version 2026-11-01 took effect at 1970-01-01T00:00:00.000Z; only a scheduled version can be withdrawn',
      'version',
      'is no longer scheduled',
    ),
  },
};

export const INVALID_PRICING: ErrorDoc = {
  status: 422,
  description:
    'The version breaks pricing rules; `details` names each: an item type twice, min_cost ≥ max_cost, a duration twice or ' +
    'not 1–120 months, a plan priced ≤ 0 somewhere in its type’s range, effective_from more than a minute in the past, ' +
    'a store named twice. Nothing is written.',
  examples: { rules: invalidPricingExample() },
};

export const NOT_ELIGIBLE: ErrorDoc = {
  status: 422,
  description:
    'The item cannot get a plan under the version in force for its store; `details` names the rule that failed: an unknown ' +
    '`item_type` (listing that table’s accepted types) or an `item_cost` outside the type’s eligible range (giving the range). ' +
    'See GET /api/pricing. Nothing is written.',
  examples: {
    unknownType: notEligibleExample('Unknown item type', 'spaceships', 15_000),
    costOutOfRange: notEligibleExample('Cost outside the type’s range', 'furniture', 1_000),
  },
};
