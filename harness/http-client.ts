/** The one HTTP client of the tests and the bench: raw requests with a client-side deadline, and POST /api/warranties. */

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON when the body is JSON, else undefined. */
  body: any;
}

/** base URL → the API key sent by default to that app (registered by startApp / startServiceProcess). */
const defaultKeys = new Map<string, string>();

/** Makes `key` the Authorization every request to `baseUrl` carries unless it says otherwise. */
export function useKey(baseUrl: string, key: string): void {
  defaultKeys.set(baseUrl, key);
}

export function forgetKey(baseUrl: string): void {
  defaultKeys.delete(baseUrl);
}

/** The key requests to `baseUrl` carry by default (an admin key). */
export function defaultKey(baseUrl: string): string {
  const key = defaultKeys.get(baseUrl);
  if (!key) throw new Error(`no API key registered for ${baseUrl}`);
  return key;
}

/** `Authorization` for a key. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * The request's headers with the app's default key, unless the test set `authorization` itself;
 * `authorization: ''` (or `key: null`) sends none at all.
 */
function withKey(baseUrl: string, headersInit: RequestInit['headers'], key: string | null | undefined): Headers {
  const headers = new Headers(headersInit);
  if (key === null || headers.get('authorization') === '') headers.delete('authorization');
  else if (key !== undefined) headers.set('authorization', `Bearer ${key}`);
  else if (!headers.has('authorization') && defaultKeys.has(baseUrl)) headers.set('authorization', `Bearer ${defaultKeys.get(baseUrl)}`);
  return headers;
}

/**
 * One HTTP request with a client-side deadline, so no test can hang on a stuck server. It carries the
 * app's default key (see useKey) unless `key` names another, `key: null` asks for none, or the headers
 * set `authorization` themselves.
 */
export async function send(
  baseUrl: string,
  path: string,
  init: RequestInit & { timeoutMs?: number; key?: string | null } = {},
): Promise<Reply> {
  const { timeoutMs = 15_000, key, ...rest } = init;
  const response = await fetch(`${baseUrl}${path}`, {
    ...rest,
    headers: withKey(baseUrl, rest.headers, key),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** POST /api/warranties with a JSON (or raw string) body and application/json unless told otherwise (and the app's default key). */
export function post(baseUrl: string, body: unknown, headers: Record<string, string> = {}, timeoutMs?: number): Promise<Reply> {
  return send(baseUrl, '/api/warranties', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    timeoutMs,
  });
}
