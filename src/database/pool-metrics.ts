import type { Pool } from 'pg';
import { Gauge, type Registry } from 'prom-client';

/**
 * The connection pool the service's statements run on (MikroORM's pg pool, which Sql uses too), read
 * at scrape time: connections open and idle, requests waiting for one, and the bound. Waiting above 0
 * for long, or open connections at the bound, says the pool (DB_POOL_SIZE) is what requests queue on.
 * Summed over cluster workers, as the connections are.
 */
export function registerPoolMetrics(registry: Registry, pool: Promise<Pool>): void {
  const gauge = (name: string, help: string, value: (pool: Pool) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(value(await pool));
      },
    });
  gauge('db_pool_connections', 'Database connections open in the pool (busy and idle)', (pool) => pool.totalCount);
  gauge('db_pool_idle_connections', 'Database connections open and idle in the pool', (pool) => pool.idleCount);
  gauge('db_pool_waiting_requests', 'Requests waiting for a connection from the pool', (pool) => pool.waitingCount);
  gauge('db_pool_max_connections', 'The pool bound (DB_POOL_SIZE)', (pool) => pool.options.max ?? 10);
}
