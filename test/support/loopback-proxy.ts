import {
  createServer,
  request,
  type Agent,
  type ClientRequest,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
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

/**
 * Sends a request on to `upstream` unchanged and pipes the answer back; `onStatus` sees the upstream status
 * first. Returns the upstream request: it emits 'close' once it is over, also when the client went away
 * (a service process the test killed) while it was held back or answered.
 */
export function forward(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  upstream: URL,
  options: { agent?: Agent; onStatus?: (status: number) => void } = {},
): ClientRequest {
  let clientGone = incoming.socket.destroyed;
  let answer: IncomingMessage | undefined;
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
      answer = response;
      const status = response.statusCode ?? 502;
      options.onStatus?.(status);
      response.on('error', () => outgoing.destroy());
      // Nobody to answer: read the answer to its end all the same, or the upstream request never finishes.
      if (clientGone) return void response.resume();
      outgoing.writeHead(status, response.headers);
      response.pipe(outgoing);
    },
  );
  sent.on('error', () => outgoing.destroy());
  incoming.on('error', () => sent.destroy());
  outgoing.on('error', () => sent.destroy());
  const leave = () => {
    clientGone = true;
    // Cut off mid-request, or before it was sent (a slowed proxy held it back while the client died, and
    // its body went with the connection): so is the upstream request, before more of it goes out.
    // Forwarding the headers alone would make s3rver truncate the object and wait for a body never sent.
    if (!sent.writableFinished) sent.destroy();
    else answer?.resume();
  };
  if (clientGone) leave();
  else outgoing.once('close', () => outgoing.writableFinished || leave());
  incoming.pipe(sent);
  return sent;
}
