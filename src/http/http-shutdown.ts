import type { Server, ServerResponse } from 'node:http';

/**
 * Graceful close for a Node HTTP server. `server.close()` alone stops accepting and drops idle
 * connections, but a keep-alive connection that is busy at that moment stays open: once its answer
 * is sent it would carry the client's next request (served after SIGTERM) and hold the exit up until
 * its idle timeout. So every answer still to be sent says `Connection: close`, which ends its
 * connection right after it.
 */
export function trackForShutdown(server: Server): (deadlineMs: number) => Promise<void> {
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  server.on('request', (_request, response: ServerResponse) => {
    if (closing) {
      response.shouldKeepAlive = false;
      return;
    }
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });
  return async (deadlineMs) => {
    closing = true;
    for (const response of inFlight) if (!response.headersSent) response.shouldKeepAlive = false;
    // Past the deadline, requests still running lose their connection rather than hold the process.
    const force = setTimeout(() => server.closeAllConnections(), deadlineMs).unref();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(force);
  };
}
