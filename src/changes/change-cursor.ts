/**
 * Change feed cursors: a position in the feed — (transaction id, item id), see ChangeFeedRepository —
 * wrapped so clients treat it as opaque. Strict on the way in: anything we did not produce is refused
 * (400), never guessed at; a GET /api/warranties cursor is not one.
 */
export interface ChangePosition {
  /** The id (xid8, decimal) of the transaction that made the change. */
  xid: string;
  itemId: number;
}

/** Before every change: where a reader without a cursor starts. */
export const FEED_START: ChangePosition = { xid: '0', itemId: 0 };

const PREFIX = 'c1:';
const MAX_XID = 2n ** 64n - 1n;
const MAX_ID = 2n ** 63n - 1n;

export function encodeChangeCursor(position: ChangePosition): string {
  return Buffer.from(`${PREFIX}${position.xid}:${position.itemId}`).toString('base64url');
}

export function decodeChangeCursor(cursor: string): ChangePosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const match = /^c1:(0|[1-9]\d{0,19}):(0|[1-9]\d{0,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || BigInt(match[1]) > MAX_XID || BigInt(match[2]) > MAX_ID) return undefined;
  const position = { xid: match[1], itemId: Number(match[2]) };
  // Item ids beyond 2^53 cannot round-trip through a JavaScript number: never issued, so never accepted.
  if (encodeChangeCursor(position) !== cursor) return undefined;
  return position;
}
