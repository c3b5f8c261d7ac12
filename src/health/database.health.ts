import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ConnectionProbe } from '../database/connection-probe.js';
import { DatabaseOutage } from '../database/database-outage.js';
import { Sql } from '../database/sql.js';
import { HEALTH_CHECK_TIMEOUT_MS } from './archive-backlog.health.js';
import { errorText } from '../common/error-text.js';

/** `work`, or an error saying `what` failed when it fails or takes longer than HEALTH_CHECK_TIMEOUT_MS. */
async function answers(work: Promise<unknown>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error('no answer in time')), HEALTH_CHECK_TIMEOUT_MS)),
  );
  try {
    await Promise.race([work, late]);
  } catch (error) {
    throw new Error(what, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Readiness of the database: could a request be served now? Both must answer within
 * HEALTH_CHECK_TIMEOUT_MS: a pooled connection (the pool hands one out: not exhausted, not hung), and
 * a new one (the server accepts connections, so the pool can grow or replace a broken one). Not
 * terminus' MikroOrmHealthIndicator: its ping uses a pooled connection only, which goes on answering
 * while a stopped postmaster accepts no new ones and requests wait for one in vain.
 */
@Injectable()
export class DatabaseHealth {
  constructor(
    private readonly sql: Sql,
    private readonly probe: ConnectionProbe,
    private readonly outage: DatabaseOutage,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check() {
    return this.indicators.check('database').attempt(async () => {
      const settled = await Promise.allSettled([
        answers(this.sql.query('SELECT 1'), 'no pooled connection answered'),
        answers(this.probe.check(), 'no new connection could be opened'),
      ]);
      const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
      if (failures.length === 0) return;
      // Readiness is public: the reason goes to the log (once per outage), the answer says only what failed.
      const cause = failures[0].cause;
      this.outage.failed(new Error(`readiness: ${failures[0].message}: ${errorText(cause)}`));
      throw new Error(failures.map((failure) => failure.message).join('; '));
    });
  }
}
