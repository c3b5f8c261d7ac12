import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';

export type S3Mode = { kind: 'up' } | { kind: 'slow'; delayMs: number } | { kind: 'down' };

/**
 * An HTTP proxy in front of the test S3 server that can be slowed down or taken down on demand,
 * to test what the service does when S3 misbehaves. Loopback only.
 */
export class S3FaultProxy {
  mode: S3Mode = { kind: 'up' };
  requests = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly upstream: string) {}

  async start(): Promise<string> {
    const target = new URL(this.upstream);
    this.server = createServer((incoming, outgoing) => {
      this.requests++;
      const mode = this.mode;
      if (mode.kind === 'down') {
        incoming.socket.destroy();
        return;
      }
      const forward = () => {
        const upstream = request(
          { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
          (response) => {
            outgoing.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(outgoing);
          },
        );
        upstream.on('error', () => outgoing.destroy());
        incoming.pipe(upstream);
      };
      if (mode.kind === 'slow') setTimeout(forward, mode.delayMs);
      else forward();
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
