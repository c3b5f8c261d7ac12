import { forward, startLoopbackServer, type LoopbackServer } from './loopback-proxy.js';
import { eventually } from './test-env.js';

export type S3Mode = { kind: 'up' } | { kind: 'slow'; delayMs: number } | { kind: 'down' };

/**
 * An HTTP proxy in front of the test S3 server that can be slowed down or taken down on demand,
 * to test what the service does when S3 misbehaves. Loopback only.
 */
export class S3FaultProxy {
  mode: S3Mode = { kind: 'up' };
  requests = 0;
  /** Requests received and not yet over upstream, including those held back by `slow`. */
  private unfinished = 0;
  private server: LoopbackServer | undefined;

  constructor(private readonly upstream: string) {}

  async start(): Promise<string> {
    const target = new URL(this.upstream);
    this.server = await startLoopbackServer((incoming, outgoing) => {
      this.requests++;
      const mode = this.mode;
      if (mode.kind === 'down') {
        incoming.socket.destroy();
        return;
      }
      this.unfinished++;
      const send = () => forward(incoming, outgoing, target).once('close', () => this.unfinished--);
      if (mode.kind === 'slow') setTimeout(send, mode.delayMs);
      else send();
    });
    return this.server.url;
  }

  /**
   * Waits until every request it received is over upstream. A PUT that reached S3 can still be on its way
   * after the process that sent it stopped or was killed; s3rver rewrites an object in place, so reading the
   * bucket meanwhile can see it half written.
   */
  async settled(timeoutMs = 15_000): Promise<void> {
    if (!(await eventually(async () => this.unfinished === 0, timeoutMs, 20))) {
      throw new Error(`S3 fault proxy: ${this.unfinished} requests still unfinished after ${timeoutMs} ms`);
    }
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}
