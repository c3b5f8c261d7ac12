import { Logger } from '@nestjs/common';

/**
 * Logs a database outage once per change of state, not once per failed request: the first failure
 * (a 503 to a client, a failed archive sweep or mark) logs "database unavailable" with its reason;
 * later ones are only counted; the first statement that succeeds again logs "database available
 * again" with how long it lasted and how many failures it caused. One per process (DatabaseModule).
 */
export class DatabaseOutage {
  private readonly logger = new Logger('Database');
  private failures = 0;
  private since = 0;

  failed(error: unknown): void {
    if (this.failures++ > 0) return;
    this.since = Date.now();
    this.logger.warn({ message: 'database unavailable', error: error instanceof Error ? error.message : String(error) });
  }

  recovered(): void {
    if (this.failures === 0) return;
    this.logger.log({ message: 'database available again', failures: this.failures, outage_ms: Date.now() - this.since });
    this.failures = 0;
  }
}
