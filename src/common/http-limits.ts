import { ConfigError } from '../config/app-config.js';

/**
 * What the HTTP server allows a client, per process (each cluster worker has its own). Read from the
 * environment in seconds by loadHttpLimits; kept in milliseconds here.
 */
export interface HttpLimits {
  /** A request's headers must be complete this long after its first byte (or after connecting), else 408. */
  headersTimeoutMs: number;
  /** The whole request (headers and body) must have arrived this long after its first byte, else 408. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long without a new request. */
  keepAliveTimeoutMs: number;
  /** Open connections per process; connections beyond it are closed at once, unanswered. */
  maxConnections: number;
  /** How often the server looks for requests past headersTimeout / requestTimeout. */
  checkIntervalMs: number;
}

/** The defaults, and the variables that change them (README, "Limits a client and a load balancer can rely on"). */
export const HTTP_LIMIT_VARIABLES = {
  HTTP_HEADERS_TIMEOUT_S: { fallback: 10, min: 1, max: 600 },
  HTTP_REQUEST_TIMEOUT_S: { fallback: 30, min: 1, max: 3600 },
  // Above the usual load balancer idle timeout (AWS ALB and nginx: 60 s), so that the balancer, not
  // the service, closes an idle connection and never sends a request on one we are closing.
  HTTP_KEEP_ALIVE_TIMEOUT_S: { fallback: 65, min: 1, max: 3600 },
  HTTP_MAX_CONNECTIONS: { fallback: 2000, min: 1, max: 1_000_000 },
} as const;

type Variable = keyof typeof HTTP_LIMIT_VARIABLES;

/** Reads and validates the HTTP limits; every bad value is reported at once (ConfigError, as for the rest of the configuration). */
export function loadHttpLimits(env: NodeJS.ProcessEnv = process.env): HttpLimits {
  const problems: string[] = [];
  const read = (name: Variable): number => {
    const { fallback, min, max } = HTTP_LIMIT_VARIABLES[name];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const headersTimeoutMs = read('HTTP_HEADERS_TIMEOUT_S') * 1000;
  const requestTimeoutMs = read('HTTP_REQUEST_TIMEOUT_S') * 1000;
  const keepAliveTimeoutMs = read('HTTP_KEEP_ALIVE_TIMEOUT_S') * 1000;
  const maxConnections = read('HTTP_MAX_CONNECTIONS');
  if (headersTimeoutMs > requestTimeoutMs) {
    problems.push('HTTP_HEADERS_TIMEOUT_S must not be larger than HTTP_REQUEST_TIMEOUT_S (the headers are part of the request)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs,
    maxConnections,
    // Timeouts are enforced to within this much; Node's own default is 30 s.
    checkIntervalMs: Math.min(1000, headersTimeoutMs / 2),
  };
}
