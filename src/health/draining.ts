import { Injectable } from '@nestjs/common';

/**
 * Set when the process has been told to stop: from then on readiness answers 503 so the load
 * balancer stops routing here, while requests are still served for SHUTDOWN_DELAY_MS (server.ts).
 */
@Injectable()
export class Draining {
  private startedAt: number | undefined;

  start(): void {
    this.startedAt ??= Date.now();
  }

  get active(): boolean {
    return this.startedAt !== undefined;
  }
}
