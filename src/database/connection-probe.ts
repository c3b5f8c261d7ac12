import pg, { type Pool } from 'pg';

/** How long a probe's answer stands: polling readiness cannot make PostgreSQL start more than one backend a second. */
export const PROBE_REUSE_MS = 1000;

/**
 * Whether the database accepts a NEW connection now: opens one with the pool's own settings (the
 * pool's connect timeout is its bound), runs `SELECT 1` on it and closes it. Connections already open
 * can go on answering while the server accepts no new one (a stopped or overwhelmed postmaster,
 * max_connections reached), so readiness and the outage log ask this rather than trust a pooled
 * connection. One probe at a time; an answer is reused for PROBE_REUSE_MS.
 */
export class ConnectionProbe {
  private inFlight: Promise<number> | undefined;
  private last: { at: number; error?: unknown } | undefined;

  constructor(private readonly pool: Pool | Promise<Pool>) {}

  /** Resolves with when a new connection last answered (at most PROBE_REUSE_MS ago); rejects with why none could be opened. */
  check(): Promise<number> {
    const last = this.last;
    if (!this.inFlight && last && Date.now() - last.at <= PROBE_REUSE_MS) {
      return last.error === undefined ? Promise.resolve(last.at) : Promise.reject(last.error);
    }
    this.inFlight ??= this.probe().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async probe(): Promise<number> {
    const pool = await this.pool;
    const client = new pg.Client(pool.options);
    client.on('error', () => undefined); // a failure is the answer, reported by connect() or query()
    try {
      await client.connect();
      await client.query('SELECT 1');
      this.last = { at: Date.now() };
      return this.last.at;
    } catch (error) {
      this.last = { at: Date.now(), error };
      throw error;
    } finally {
      void client.end().catch(() => undefined); // not awaited: a server that hangs must not hold the answer up
    }
  }
}
