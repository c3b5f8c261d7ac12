import { Injectable, Logger, Optional } from '@nestjs/common';
import { ConnectionProbe } from './connection-probe.js';
import { errorText } from '../common/error-text.js';

/**
 * Logs a database outage once per change of state, not once per failed request: the first failure
 * (a 503 to a client, a failed readiness check, archive sweep or mark) logs "database unavailable"
 * with its reason; later ones are only counted. It is over when a statement succeeds AND a new
 * connection, opened after the outage began, answers (ConnectionProbe): a statement that succeeds on
 * a connection opened before proves little (a stopped postmaster leaves open connections working).
 * Then "database available again" logs how long it lasted and how many failures it caused. One per
 * process (DatabaseModule).
 */
@Injectable()
export class DatabaseOutage {
  private readonly logger = new Logger('Database');
  private failures = 0;
  private since = 0;
  private confirming = false;

  constructor(@Optional() private readonly probe?: ConnectionProbe) {}

  failed(error: unknown): void {
    if (this.failures++ > 0) return;
    this.since = Date.now();
    this.logger.warn({ message: 'database unavailable', error: errorText(error) });
  }

  /** A statement succeeded: the outage is over once a new connection answers too. */
  recovered(): void {
    if (this.failures === 0 || this.confirming) return;
    if (!this.probe) return this.over();
    this.confirming = true;
    const since = this.since;
    this.probe.check().then(
      (answeredAt) => {
        this.confirming = false;
        // An answer from before the outage (reused by the probe) does not count; the next success asks again.
        if (answeredAt >= since && this.since === since) this.over();
      },
      () => (this.confirming = false),
    );
  }

  private over(): void {
    if (this.failures === 0) return;
    this.logger.log({ message: 'database available again', failures: this.failures, outage_ms: Date.now() - this.since });
    this.failures = 0;
  }
}
