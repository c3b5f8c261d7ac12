import type pg from 'pg';

/**
 * What a client's PostgreSQL connections are doing, sampled from pg_stat_activity during a row:
 * running a statement (on CPU or waiting, e.g. for the WAL flush of a commit), idle inside a
 * transaction (waiting for the client's next statement), or idle in the pool. A connection that is
 * mostly "idle in transaction" is held up by its client, not by the database.
 */
export interface ActivitySummary {
  samples: number;
  /** Share of connection-samples per state, and per wait of the active ones ("CPU" = no wait event). */
  states: Record<string, number>;
  activeWaits: Record<string, number>;
}

export class PgActivitySampler {
  private running = false;
  private loop: Promise<void> | undefined;
  private states = new Map<string, number>();
  private waits = new Map<string, number>();
  private connectionSamples = 0;
  private samples = 0;

  constructor(
    private readonly db: pg.Client,
    private readonly intervalMs = 250,
  ) {}

  start(applicationName: string): void {
    this.states = new Map();
    this.waits = new Map();
    this.connectionSamples = 0;
    this.samples = 0;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.sample(applicationName).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    })();
  }

  async stop(): Promise<ActivitySummary> {
    this.running = false;
    await this.loop;
    const share = (map: Map<string, number>) =>
      Object.fromEntries([...map].sort((a, b) => b[1] - a[1]).map(([key, n]) => [key, n / Math.max(1, this.connectionSamples)]));
    return { samples: this.samples, states: share(this.states), activeWaits: share(this.waits) };
  }

  private async sample(applicationName: string): Promise<void> {
    const { rows } = await this.db.query<{ state: string | null; wait: string | null }>(
      `SELECT state, wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
       WHERE application_name = $1 AND backend_type = 'client backend'`,
      [applicationName],
    );
    this.samples++;
    for (const row of rows) {
      const state = row.state ?? 'unknown';
      this.connectionSamples++;
      this.states.set(state, (this.states.get(state) ?? 0) + 1);
      if (state === 'active') this.waits.set(row.wait ?? 'CPU', (this.waits.get(row.wait ?? 'CPU') ?? 0) + 1);
    }
  }
}

export function formatActivity(summary: ActivitySummary): string {
  const pct = (share: number) => `${Math.round(share * 100)} %`;
  const waits = Object.entries(summary.activeWaits)
    .slice(0, 4)
    .map(([wait, share]) => `${wait} ${pct(share)}`)
    .join(', ');
  const states = Object.entries(summary.states)
    .map(([state, share]) => (state === 'active' && waits ? `active ${pct(share)} (${waits})` : `${state} ${pct(share)}`))
    .join(', ');
  return `connections: ${states}`;
}
