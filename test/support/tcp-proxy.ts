import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of PostgreSQL: `up` forwards, `down` refuses new connections
 * (and `cut()` drops the open ones), `blackhole` keeps connections open but silently drops every byte,
 * like a network partition.
 */
export class TcpProxy {
  mode: 'up' | 'down' | 'blackhole' = 'up';
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly targetPort: number) {}

  async start(): Promise<number> {
    this.server = createServer((client) => {
      if (this.mode === 'down') {
        client.destroy();
        return;
      }
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      this.join(client, upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  /** Forwards bytes both ways while `up`; either side closing closes the other. */
  protected join(client: Socket, upstream: Socket): void {
    client.on('data', (data) => this.mode === 'up' && upstream.write(data));
    upstream.on('data', (data) => this.mode === 'up' && client.write(data));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** The database URL with its port replaced (to go through a proxy, or to a closed port). */
export const withPort = (databaseUrl: string, port: number): string => {
  const url = new URL(databaseUrl);
  url.port = String(port);
  return url.toString();
};
