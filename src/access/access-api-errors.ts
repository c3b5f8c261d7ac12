import type { ErrorDoc } from '../http/api-docs.js';

/** The codes the access gate and the store check send. */
export const ACCESS_ERROR_CODES = ['UNAUTHORIZED', 'FORBIDDEN', 'STORE_MISMATCH'] as const;

export const ADMIN_ONLY: ErrorDoc = {
  status: 403,
  description: 'The key is a store key; this endpoint needs an admin key. Nothing is read or written.',
  examples: {
    storeKey: {
      summary: 'A store key',
      value: { statusCode: 403, error: 'Forbidden', code: 'FORBIDDEN', message: 'This endpoint needs an admin key', details: [] },
    },
  },
};

export const STORE_MISMATCH: ErrorDoc = {
  status: 403,
  description: 'A store key used for another store (`store_uuid` is not the key’s store). Nothing is read or written.',
  examples: {
    mismatch: {
      summary: 'Another store',
      value: {
        statusCode: 403,
        error: 'Forbidden',
        code: 'STORE_MISMATCH',
        message: 'This key belongs to store b21ad0676f26439; it cannot act for store a8f5f167f44f486',
        details: [{ field: 'store_uuid', message: 'must be this key’s store (b21ad0676f26439)' }],
      },
    },
  },
};
