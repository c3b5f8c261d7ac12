import { forward, startLoopbackServer, type LoopbackServer } from './loopback-proxy.js';

export type S3Mode = { kind: 'up' } | { kind: 'slow'; delayMs: number } | { kind: 'down' };

/**
 * An HTTP proxy in front of the test S3 server that can be slowed down or taken down on demand,
 * to test what the service does when S3 misbehaves. Loopback only.
 */
export class S3FaultProxy {
  mode: S3Mode = { kind: 'up' };
  requests = 0;
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
      if (mode.kind === 'slow') setTimeout(() => forward(incoming, outgoing, target), mode.delayMs);
      else forward(incoming, outgoing, target);
    });
    return this.server.url;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}
