import { Agent, createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * An HTTP proxy on 127.0.0.1 that counts S3 PutObject requests per object key: how many were sent, and
 * how many the upstream accepted (2xx). Put it in front of an S3FaultProxy (service → counting proxy →
 * fault proxy → s3rver) to tell "retried after a failure" from "uploaded twice". Path-style URLs only
 * (`/<bucket>/<key>`), as the service uses with S3_FORCE_PATH_STYLE=true.
 */
export class CountingS3Proxy {
  /** PUT attempts per key, whatever their outcome. */
  readonly attempts = new Map<string, number>();
  /** PUTs per key that upstream answered with a 2xx: the key was (re-)written this many times. */
  readonly stored = new Map<string, number>();
  private server: Server | undefined;
  /** Its own connections upstream, closed by stop() (the global agent would keep them open). */
  private readonly agent = new Agent({ keepAlive: true });
  private readonly sockets = new Set<Socket>();

  constructor(private readonly upstream: string) {}

  async start(): Promise<string> {
    const target = new URL(this.upstream);
    this.server = createServer((incoming, outgoing) => {
      const key = incoming.method === 'PUT' ? objectKey(incoming.url ?? '') : undefined;
      if (key !== undefined) this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
          agent: this.agent,
        },
        (response) => {
          const status = response.statusCode ?? 502;
          if (key !== undefined && status >= 200 && status < 300) this.stored.set(key, (this.stored.get(key) ?? 0) + 1);
          outgoing.writeHead(status, response.headers);
          response.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.destroy());
      incoming.on('error', () => upstream.destroy());
      incoming.pipe(upstream);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  /** Keys that upstream stored more than once. */
  duplicates(): [string, number][] {
    return [...this.stored].filter(([, count]) => count > 1);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** `/bucket/warranties/…json?x-id=PutObject` → `warranties/…json`. */
function objectKey(url: string): string | undefined {
  const path = url.split('?')[0];
  const match = /^\/[^/]+\/(.+)$/.exec(path);
  return match ? decodeURIComponent(match[1]) : undefined;
}
