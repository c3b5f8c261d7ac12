/** Requests of the pricing API, for the tests. */
import { send } from '../../harness/http-client.js';

/** A valid default version: furniture only, 12 months 7.00 + 10 %. */
export function versionBody(version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version,
    item_types: [{ item_type: 'furniture', min_cost: 50, max_cost: 10000, plans: [{ duration_months: 12, base: 7, rate: 0.1 }] }],
    ...extra,
  };
}

/** POST /api/pricing/versions (the app's admin key unless `key` says otherwise; null: none). */
export const publish = (url: string, body: unknown, key?: string | null) =>
  send(url, '/api/pricing/versions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    key,
  });

/** POST /api/pricing/quote. */
export const quote = (url: string, body: unknown, key?: string) =>
  send(url, '/api/pricing/quote', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), key });

/** DELETE /api/pricing/versions/{version}. */
export const withdraw = (url: string, version: string, key?: string) =>
  send(url, `/api/pricing/versions/${version}`, { method: 'DELETE', key });
