/** The tests' one HTTP client: raw requests with a client-side deadline, and POST /api/warranties. */

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON when the body is JSON, else undefined. */
  body: any;
}

/** One HTTP request with a client-side deadline, so no test can hang on a stuck server. */
export async function send(baseUrl: string, path: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Reply> {
  const { timeoutMs = 15_000, ...rest } = init;
  const response = await fetch(`${baseUrl}${path}`, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** POST /api/warranties with a JSON (or raw string) body and application/json unless told otherwise. */
export function post(baseUrl: string, body: unknown, headers: Record<string, string> = {}, timeoutMs?: number): Promise<Reply> {
  return send(baseUrl, '/api/warranties', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    timeoutMs,
  });
}
