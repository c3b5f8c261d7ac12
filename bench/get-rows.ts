import { send } from '../harness/http-client.js';
import { encodeCursor } from '../src/warranties/page-cursor.js';
import { loadRun, runRow, type VariantRun } from './row.js';
import type { Seeded } from './seed.js';
import { say } from './session.js';

export const GET_PAGE_SIZE = 100;
/** How far into an item type's rows (in id order) the deep cursor points. */
export const DEEP_CURSOR_DEPTH = 0.9;
export const GET_STORE_SKU_SCENARIO = 'GET store_uuid+sku';

/** One request of each kind by hand: the deep page must be a full page past the cursor, like the first page. */
async function checkPages(url: string, afterIds: Record<string, number>): Promise<string> {
  const type = Object.keys(afterIds).sort()[0];
  const fetchPage = async (query: string) => {
    const response = await send(url, `/api/warranties?${query}`, { timeoutMs: 10_000 });
    const body = (response.body ?? {}) as { warranties?: { id: number }[] };
    return { status: response.status, ids: (body.warranties ?? []).map((w) => w.id) };
  };
  const first = await fetchPage(`item_type=${type}&limit=${GET_PAGE_SIZE}`);
  const deep = await fetchPage(`item_type=${type}&limit=${GET_PAGE_SIZE}&cursor=${encodeCursor(afterIds[type])}`);
  const full = (page: { status: number; ids: number[] }) => page.status === 200 && page.ids.length === GET_PAGE_SIZE;
  if (!full(first) || !full(deep) || deep.ids[0] <= afterIds[type]) {
    throw new Error(
      `GET check failed for ${type}: first page ${first.status}/${first.ids.length} rows, deep page ${deep.status}/${deep.ids.length} rows`,
    );
  }
  return `GET check: ${type} first page ids ${first.ids[0]}…, deep page (cursor after id ${afterIds[type]}) ids ${deep.ids[0]}…, both ${GET_PAGE_SIZE} rows`;
}

/** The closed-loop GET rows (autocannon) over the seeded catalogue: by store and SKU, a type's first page, a deep page. */
export async function getRows(run: VariantRun, seed: Seeded): Promise<void> {
  const { options, url } = run;
  const duration = options.durationSeconds;
  say(`  ${await checkPages(url, seed.afterIds)}`);
  for (const c of options.getConnections) {
    await runRow(
      run,
      GET_STORE_SKU_SCENARIO,
      c,
      loadRun(url, c, duration, { kind: 'get-store-sku', shape: seed.result.shape }, 'GET store+sku'),
    );
    await runRow(
      run,
      `GET item_type, limit ${GET_PAGE_SIZE}`,
      c,
      loadRun(url, c, duration, { kind: 'get-type', limit: GET_PAGE_SIZE }, 'GET type'),
    );
    await runRow(
      run,
      `GET item_type, cursor ${Math.round(DEEP_CURSOR_DEPTH * 100)} % deep`,
      c,
      loadRun(url, c, duration, { kind: 'get-type-deep', limit: GET_PAGE_SIZE, afterIds: seed.afterIds }, 'GET deep cursor'),
    );
  }
}
