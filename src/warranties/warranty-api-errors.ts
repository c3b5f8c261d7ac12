import type { ErrorDoc } from '../http/api-docs.js';

export const WARRANTY_NOT_FOUND: ErrorDoc = {
  status: 404,
  description: 'No plan with this id (for a store key: none of its store’s).',
  examples: {
    missing: {
      summary: 'Unknown id',
      value: { statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'Warranty 42 not found', details: [] },
    },
  },
};
