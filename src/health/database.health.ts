import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { withTimeout } from '../common/with-timeout.js';
import { Database } from '../database/database.js';

/** Readiness is polled often; a check slower than this counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = 1500;

@Injectable()
export class DatabaseHealth {
  constructor(
    private readonly db: Database,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check() {
    const indicator = this.indicators.check('database');
    const started = performance.now();
    try {
      await withTimeout(this.db.ping(), HEALTH_CHECK_TIMEOUT_MS, 'database ping');
      return indicator.up({ latency_ms: Math.round(performance.now() - started) });
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}
