/**
 * HTTP at the socket level, for what fetch cannot send: malformed request lines, odd methods, huge or
 * broken headers, slow clients. The one raw client of the tests; it reads the first answer only.
 */
import { connect, type Socket } from 'node:net';
import type { Reply } from '../../harness/http-client.js';

export interface RawReply {
  /** Undefined when the server closed (or the deadline passed) without a complete answer. */
  status: number | undefined;
  /** Header names in lower case. */
  headers: Record<string, string>;
  text: string;
  /** Parsed JSON when the body is JSON, else undefined. */
  body: any;
  /** The connection closed before a complete answer had arrived (then `status` may still be set, from the part that did). */
  closed: boolean;
  /** Milliseconds from connecting to the answer (or the close, or the deadline). */
  ms: number;
}

export interface RawConnection {
  socket: Socket;
  /** The first complete answer, or what there was when the server closed or the deadline passed. */
  reply: Promise<RawReply>;
  write(data: string | Buffer): void;
}

function parse(
  buffer: Buffer,
  head: boolean,
): { status: number; headers: Record<string, string>; text: string; complete: boolean } | undefined {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = buffer.subarray(end + 4);
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const status = Number(match[1]);
  // Interim answers (100 Continue) are skipped by the caller; without a length, the body ends at close.
  const complete = head || status < 200 || (length !== undefined && body.length >= length) || status === 204 || status === 304;
  return { status, headers, text: body.subarray(0, length ?? body.length).toString('utf8'), complete };
}

export interface RawOptions {
  /** Deadline for the answer (default 10 s). */
  timeoutMs?: number;
  /** The answer is to a HEAD request: no body, whatever Content-Length says. */
  head?: boolean;
  /** Leave the connection open after the answer (default: end it, as a one-shot client would). */
  keepOpen?: boolean;
}

/** Opens a connection to `baseUrl` and collects the first final answer; write the request yourself, at any pace. */
export function openRaw(baseUrl: string, { timeoutMs = 10_000, head = false, keepOpen = false }: RawOptions = {}): RawConnection {
  const { hostname, port } = new URL(baseUrl);
  const started = performance.now();
  const socket = connect({ host: hostname, port: Number(port) });
  let received = Buffer.alloc(0);
  const reply = new Promise<RawReply>((resolve) => {
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      let parsed = parse(received, head);
      // Skip an interim 1xx answer.
      while (parsed && parsed.status < 200) {
        received = received.subarray(received.indexOf('\r\n\r\n') + 4);
        parsed = parse(received, head);
      }
      let body: any;
      try {
        body = parsed?.text ? JSON.parse(parsed.text) : undefined;
      } catch {
        body = undefined;
      }
      resolve({
        status: parsed && (parsed.complete || closed) ? parsed.status : undefined,
        headers: parsed?.headers ?? {},
        text: parsed?.text ?? received.toString('latin1'),
        body,
        closed,
        ms: performance.now() - started,
      });
    };
    const timer = setTimeout(() => {
      finish(false);
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      let rest = received;
      let parsed = parse(rest, head);
      while (parsed && parsed.status < 200) {
        rest = rest.subarray(rest.indexOf('\r\n\r\n') + 4);
        parsed = parse(rest, head);
      }
      if (parsed?.complete) {
        finish(false);
        if (!keepOpen) socket.end();
      }
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
  return {
    socket,
    reply,
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
  };
}

/**
 * Sends `request` as is (bytes, or text as Latin-1) on a fresh connection and returns the first answer.
 * `halfClose`: end the sending side after the request, so an incomplete one is not left waiting for more.
 */
export async function rawExchange(baseUrl: string, request: string | Buffer, timeoutMs = 10_000, halfClose = false): Promise<RawReply> {
  const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
  const connection = openRaw(baseUrl, { timeoutMs, head: bytes.subarray(0, 5).toString() === 'HEAD ' });
  connection.socket.once('connect', () => (halfClose ? connection.socket.end(bytes) : connection.write(bytes)));
  return connection.reply;
}

/** A raw answer in the shape the api-assertions helpers (assertError, …) take. */
export function asReply(raw: RawReply): Reply {
  return { status: raw.status ?? 0, headers: new Headers(raw.headers), text: raw.text, body: raw.body };
}
