import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { errorBody, sendErrorBody } from './error-body.js';
import type { AppConfig } from '../config/app-config.js';

type HttpLimits = AppConfig['http'];
import { REQUEST_ID_HEADER, requestIdFrom } from './request-context.js';

/** How long a refused connection may stay open after its answer, so the client can read it (a close with unread input would reset it). */
const LINGER_MS = 1000;

export type RefusalObserver = (status: number) => void;
/** Every status the HTTP server's own refusals below answer with. */
export const HTTP_SERVER_REFUSALS = [400, 405, 408, 413, 417, 431] as const;

interface ClientError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

/** The client's X-Request-Id from the raw bytes of a request Node could not parse, when there is a sane one. */
function requestIdIn(raw: Buffer | undefined): string {
  const match = raw ? /\r\nx-request-id:[ \t]*([^\r\n]*)/i.exec(raw.toString('latin1')) : null;
  return requestIdFrom(match?.[1].trim());
}

/** A complete HTTP/1.1 error answer in the contract's JSON shape, for a socket Node's HTTP layer has given up on. */
function rawAnswer(status: number, code: string, message: string, requestId: string): string {
  const body = JSON.stringify(errorBody(status, code, message));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Why Node's HTTP parser or its timeouts refused a request, as the status, code and message the client gets. */
function describeClientError(error: ClientError, limits: HttpLimits): [number, string, string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'HEADERS_TOO_LARGE', 'Request headers are too large'];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'PAYLOAD_TOO_LARGE', 'Chunk extensions are too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        408,
        'REQUEST_TIMEOUT',
        `The request did not arrive in time: headers are due within ${limits.headersTimeoutMs / 1000} s, ` +
          `the whole request within ${limits.requestTimeoutMs / 1000} s`,
      ];
    case 'HPE_INVALID_METHOD':
      return [400, 'BAD_REQUEST', 'Unknown HTTP method'];
    default:
      return [400, 'BAD_REQUEST', 'Malformed HTTP request'];
  }
}

/** Sends `answer` and closes the socket: at once when the client closes its side, after LINGER_MS otherwise. */
function answerAndClose(socket: Duplex, answer: string): void {
  socket.on('error', () => undefined);
  socket.on('end', () => socket.destroy());
  socket.end(answer);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * Makes the answers Node's HTTP server gives on its own — malformed requests, unknown methods, headers
 * too large, clients too slow, CONNECT, unmet `Expect`, a missing Host — the contract's JSON error with an
 * X-Request-Id, and applies the timeouts and the connection bound of `limits`. Call before listen().
 */
export function guardHttpServer(server: Server, limits: HttpLimits, observe: RefusalObserver = () => undefined): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Read when the server starts listening (Node's default is 30 s, which would stretch every timeout by up to that).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = limits.checkIntervalMs;
  // Node answers a missing Host with a bare 400 of its own; requireHost() answers it in our shape instead.
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;

  const answered = new WeakSet<Duplex>();
  server.on('clientError', (error: ClientError, socket: Duplex) => {
    if (answered.has(socket)) return; // a parser in error, or a timed-out request, may report again
    answered.add(socket);
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      // Nothing can be answered (client gone, or an answer already on its way): never corrupt the stream.
      socket.destroy();
      return;
    }
    const [status, code, message] = describeClientError(error, limits);
    observe(status);
    if (inFlight) {
      // A request whose headers were read (a body too slow, a broken chunk): answer, and end the request
      // with its connection at once, so the app never goes on to act on the part that did arrive.
      const requestId = inFlight.getHeader('x-request-id');
      socket.write(rawAnswer(status, code, message, typeof requestId === 'string' ? requestId : requestIdIn(error.rawPacket)));
      inFlight.req.destroy();
      socket.destroy();
      return;
    }
    answerAndClose(socket, rawAnswer(status, code, message, requestIdIn(error.rawPacket)));
  });

  // CONNECT (a proxy request) would otherwise get its connection closed without a word.
  server.on('connect', (request: IncomingMessage, socket: Duplex) => {
    observe(405);
    const answer = rawAnswer(405, 'METHOD_NOT_ALLOWED', 'CONNECT is not supported', requestIdFrom(request.headers[REQUEST_ID_HEADER]));
    answerAndClose(socket, answer);
  });

  // `Expect` other than 100-continue: Node would send a bare 417.
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    observe(417);
    const body = JSON.stringify(errorBody(417, 'EXPECTATION_FAILED', 'Only "Expect: 100-continue" is supported'));
    response.writeHead(417, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'X-Request-Id': requestIdFrom(request.headers[REQUEST_ID_HEADER]),
      Connection: 'close',
    });
    response.end(body);
  });

  boundConnections(server, limits.maxConnections);
}

/** What the bound knows of a connection: how many answers are still owed on it, and the latest one. */
interface ConnectionState {
  owed: number;
  latest?: ServerResponse;
}

/**
 * At most `max` connections (per process). A full server makes room for a new connection by closing
 * the one that has waited longest without sending a complete request — silent, sending slowly, or idle
 * after its answers — and refuses the new one only when every other connection has a request in
 * progress. Node's own bound (server.maxConnections) refuses the newcomer instead, so a few thousand
 * connections that never send a byte kept every new client out until the headers timeout.
 */
function boundConnections(server: Server, max: number): void {
  const open = new Set<Socket>();
  const state = new WeakMap<Socket, ConnectionState>();
  // Connections that may be waiting for a complete request, longest-waiting first (a Map keeps insertion order).
  const waiting = new Map<Socket, ConnectionState>();
  // Idle, or its only request still arriving (never acted on: a body is read whole before anything runs) and unanswered.
  const mayClose = ({ owed, latest }: ConnectionState) => owed === 0 || (owed === 1 && !latest!.req.complete && !latest!.headersSent);

  server.on('connection', (socket: Socket) => {
    const connection: ConnectionState = { owed: 0 };
    state.set(socket, connection);
    open.add(socket);
    waiting.set(socket, connection);
    socket.once('close', () => {
      open.delete(socket);
      waiting.delete(socket);
    });
    // The newcomer is the last entry: when nothing older may be closed, it is the one refused.
    while (open.size > max && closeLongestWaiting());
  });

  function closeLongestWaiting(): boolean {
    for (const [socket, connection] of waiting) {
      waiting.delete(socket); // closed now, or not waiting after all (its request is complete: it is put back once answered)
      if (!mayClose(connection)) continue;
      open.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket as Socket;
    const connection = state.get(socket);
    if (!connection) return;
    connection.owed++;
    connection.latest = response;
    response.once('close', () => {
      connection.owed--;
      // Answered: from now on it waits for its next request (the newest waiter).
      if (connection.owed === 0 && open.has(socket)) {
        connection.latest = undefined;
        waiting.delete(socket);
        waiting.set(socket, connection);
      }
    });
  });
}

/** RFC 9112: an HTTP/1.1 request without Host is a 400 (in our shape; see requireHostHeader above). */
export function requireHost(request: Request, response: Response, next: NextFunction): void {
  if (request.httpVersion !== '1.1' || request.headers.host !== undefined) return next();
  sendErrorBody(
    response,
    errorBody(400, 'BAD_REQUEST', 'An HTTP/1.1 request must carry a Host header', [{ field: 'host', message: 'is required' }]),
  );
}
