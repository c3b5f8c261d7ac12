import type pg from 'pg';
import { send } from '../harness/http-client.js';
import { sample } from '../harness/metrics-sample.js';
import { progress } from './session.js';

/**
 * The PostgreSQL work of a row, read around it: write transactions, WAL and archive records written,
 * the archive settling afterwards, and the service's own group-commit counters.
 */

export const ARCHIVE_SETTLE_TIMEOUT_MS = 60_000;

export interface DbCounters {
  /** The next transaction id: only writing transactions take one, so the difference counts write transactions. */
  nextXid: number;
  walBytes: number;
  /** Highest archive record id: every committed POST (and ceiling transaction) writes exactly one. */
  lastArchiveId: number;
}

/** Read at once, unlike pg_stat_database (whose counters lag by up to the stats flush interval). */
export async function dbCounters(db: pg.Client): Promise<DbCounters> {
  const { rows } = await db.query<{ xid: string; wal: string; archive: string | null }>(
    `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS wal,
            (SELECT max(id) FROM archive_record) AS archive`,
  );
  return { nextXid: Number(rows[0].xid), walBytes: Number(rows[0].wal), lastArchiveId: Number(rows[0].archive ?? 0) };
}

/** Waits (bounded) until the service has archived every outbox record; returns how many were pending at first. */
export async function settleArchive(db: pg.Client): Promise<number> {
  const pending = async () =>
    Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM archive_record WHERE archived_at IS NULL')).rows[0].n);
  const first = await pending();
  const deadline = Date.now() + ARCHIVE_SETTLE_TIMEOUT_MS;
  for (let left = first; left > 0 && Date.now() < deadline; left = await pending()) {
    progress.update('settling', `${left} archive records pending`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return first;
}

/** The service's group-commit counters (warranty_write_group_size histogram); zeros in builds without them. */
export async function writeGroupCounters(url: string): Promise<{ groups: number; posts: number } | undefined> {
  const text = await send(url, '/metrics', { timeoutMs: 10_000 }).then(
    (reply) => reply.text,
    () => undefined,
  );
  if (text === undefined) return undefined;
  return { groups: sample(text, 'warranty_write_group_size_count'), posts: sample(text, 'warranty_write_group_size_sum') };
}
