import type pg from 'pg';
import { send } from '../harness/http-client.js';
import type { ChangePosition } from '../src/changes/change-cursor.js';
import { encodeChangeCursor } from '../src/changes/change-cursor.js';
import { GET_PAGE_SIZE } from './get-rows.js';
import { QUOTE_PATH } from './requests.js';
import { loadRun, runRow, type VariantRun } from './row.js';
import { say } from './session.js';
import { DEFAULT_POST_MIX } from './workload.js';

/** How far into the feed (in position order) the deep cursor points. */
export const FEED_DEEP_DEPTH = 0.9;
export const QUOTE_SCENARIO = 'POST /api/pricing/quote';

/** The feed position `depth` of the way through every item, in the feed's own order (change_xid, id). */
async function feedPosition(db: pg.Client, depth: number): Promise<ChangePosition | undefined> {
  const { rows } = await db.query<{ xid: string; id: string }>(
    `SELECT change_xid::text AS xid, id::text AS id FROM item ORDER BY change_xid, id
     OFFSET (SELECT floor(count(*) * $1::float8)::bigint FROM item) LIMIT 1`,
    [depth],
  );
  return rows[0] && { xid: rows[0].xid, itemId: Number(rows[0].id) };
}

/** A build without the feed (404) or without quotes: its rows are skipped, not failed. */
async function available(url: string, path: string, body?: unknown): Promise<number> {
  const reply = await send(
    url,
    path,
    body === undefined
      ? { timeoutMs: 10_000 }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: 10_000 },
  );
  return reply.status;
}

/**
 * Quotes per second at the POST rows' first connection count (a quote prices from memory and writes
 * nothing: the gap to a single POST is the write), printed against that POST row.
 */
export async function quoteRows(run: VariantRun): Promise<void> {
  const { options, url } = run;
  const connections = options.postConnections[0];
  const probe = await available(url, QUOTE_PATH, { store_uuid: 'bench-probe', item_type: 'furniture', item_cost: 150 });
  if (probe !== 200) {
    say(`  ${QUOTE_SCENARIO}: a probe answered ${probe}, skipped`);
    return;
  }
  const row = await runRow(
    run,
    QUOTE_SCENARIO,
    connections,
    loadRun(url, connections, options.durationSeconds, { kind: 'quote', stores: DEFAULT_POST_MIX.stores }, 'quote'),
  );
  const post = run.rows.find(
    (r) => r.variant === row.variant && r.scenario.startsWith('POST /api/warranties') && r.connections === connections,
  );
  if (row.result && post?.result)
    say(`  quotes/s ÷ single POST/s @${connections}: ${(row.result.perSecond / post.result.perSecond).toFixed(1)}×`);
}

/** A page of the change feed at its start and 90 % deep (every store, GET_PAGE_SIZE changes): a keyset page costs the same anywhere. */
export async function feedRows(run: VariantRun): Promise<void> {
  const { options, url, db } = run;
  if ((await available(url, `/api/changes?limit=1`)) === 404) {
    say('  GET /api/changes: not available (404), skipped');
    return;
  }
  const deep = await feedPosition(db, FEED_DEEP_DEPTH);
  const check = await send(url, `/api/changes?limit=${GET_PAGE_SIZE}${deep ? `&cursor=${encodeChangeCursor(deep)}` : ''}`, {
    timeoutMs: 10_000,
  });
  const entries = (check.body as { changes?: unknown[] } | undefined)?.changes?.length ?? 0;
  say(`  change feed check: the page ${Math.round(FEED_DEEP_DEPTH * 100)} % deep answered ${check.status} with ${entries} changes`);
  for (const c of options.getConnections) {
    await runRow(
      run,
      `GET /api/changes, limit ${GET_PAGE_SIZE}, from the start`,
      c,
      loadRun(url, c, options.durationSeconds, { kind: 'changes', limit: GET_PAGE_SIZE }, 'feed start'),
    );
    await runRow(
      run,
      `GET /api/changes, limit ${GET_PAGE_SIZE}, ${Math.round(FEED_DEEP_DEPTH * 100)} % deep`,
      c,
      loadRun(url, c, options.durationSeconds, { kind: 'changes', limit: GET_PAGE_SIZE, after: deep }, 'feed deep'),
    );
  }
}
