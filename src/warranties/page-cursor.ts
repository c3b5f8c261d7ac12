/**
 * Keyset cursors: the id of the last warranty on a page, wrapped so clients treat it as opaque.
 * Strict on the way in: anything we did not produce is rejected (400), never guessed at.
 */
const PREFIX = 'v1:';
const MAX_ID = 9_223_372_036_854_775_807n;

export function encodeCursor(lastId: number): string {
  return Buffer.from(`${PREFIX}${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^v1:([1-9]\d{0,18})$/.exec(text);
  if (!match || BigInt(match[1]) > MAX_ID) return undefined;
  if (encodeCursor(Number(match[1])) !== cursor) return undefined;
  return Number(match[1]);
}
