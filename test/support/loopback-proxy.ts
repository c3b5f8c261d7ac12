import { createServer, request, type Agent, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface LoopbackServer {
  url: string;
  /** Closes the server and every connection it still has (idle keep-alive ones included). */
  stop(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 and a free port, for the S3 proxies the archive tests put in front of s3rver. */
export async function startLoopbackServer(handler: RequestListener): Promise<LoopbackServer> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Sends a request on to `upstream` unchanged and pipes the answer back; `onStatus` sees the upstream status first. */
export function forward(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  upstream: URL,
  options: { agent?: Agent; onStatus?: (status: number) => void } = {},
): void {
  const sent = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      headers: incoming.headers,
      agent: options.agent,
    },
    (response) => {
      const status = response.statusCode ?? 502;
      options.onStatus?.(status);
      outgoing.writeHead(status, response.headers);
      response.pipe(outgoing);
    },
  );
  sent.on('error', () => outgoing.destroy());
  incoming.on('error', () => sent.destroy());
  incoming.pipe(sent);
}
