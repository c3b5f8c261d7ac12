/**
 * Delay before retry number `attempt` (1-based) of a failed attempt (an upload, a reconnection): exponential from `baseMs`,
 * capped at `maxMs`, with up to 20 % jitter so what failed together does not retry together.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const delay = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(delay * (0.8 + 0.2 * random()));
}
