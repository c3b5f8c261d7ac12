import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';
import { LOG_FORMAT_SETTINGS, prettyAvailable, resolveLogFormat, type LogFormat } from '../common/log-format.js';
import { databaseUrlProblems } from './database-url.js';

/** pino's (and most log tooling's) level names. */
export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Everything the service reads from its environment, parsed and validated once at start-up. */
export interface AppConfig {
  /** NODE_ENV=production: no development fallbacks (embedded database, unchecked archive folder). */
  production: boolean;
  port: number;
  host: string;
  /** Number of HTTP worker processes (Node cluster); 1 runs the app in the main process. */
  workers: number;
  logLevel: LogLevelName;
  /** LOG_FORMAT resolved: `auto` is pretty on a terminal outside production (when pino-pretty is installed), JSON otherwise. */
  logFormat: LogFormat;
  dataDir: string;
  database: {
    /** Absent → an embedded PostgreSQL under `<dataDir>/postgres`. */
    url: string | undefined;
    embeddedPort: number;
    poolSize: number;
    /** How long a request may wait for a pooled connection before it gets 503. */
    acquireTimeoutMs: number;
    statementTimeoutMs: number;
    /** Single-POST group commits in flight at once per process (each holds one pooled connection). */
    writeGroups: number;
    /** Single POSTs saved together in one group commit, at most. */
    writeGroupMax: number;
  };
  archive: {
    /** Absent → records go to `localDir` with the same key layout as in S3. */
    s3Bucket: string | undefined;
    s3Region: string;
    s3Endpoint: string | undefined;
    s3ForcePathStyle: boolean;
    s3TimeoutMs: number;
    localDir: string;
    sweepIntervalMs: number;
    /** A freshly written record belongs to the in-process listener for this long before the sweeper may take it. */
    leaseMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    batchSize: number;
    uploadConcurrency: number;
    retentionHours: number;
    /** Oldest pending record older than this is reported as a stuck backlog. */
    stuckAfterMs: number;
  };
  shutdownDrainMs: number;
  /** After SIGTERM, readiness answers 503 while requests are still served this long, so the load balancer stops routing first. */
  shutdownDelayMs: number;
  /** Origins allowed to call the API from a browser (CORS_ORIGINS); empty: CORS off. */
  corsOrigins: string[];
  /** What the HTTP server allows a client, per process (README, "Limits a client and a load balancer can rely on"). */
  http: {
    /** A request's headers must be complete this long after its first byte (or after connecting), else 408. */
    headersTimeoutMs: number;
    /** The whole request (headers and body) must have arrived this long after its first byte, else 408. */
    requestTimeoutMs: number;
    /** An idle keep-alive connection is closed after this long without a new request. */
    keepAliveTimeoutMs: number;
    /** Open connections per process; connections beyond it are closed at once, unanswered. */
    maxConnections: number;
    /** How often the server looks for requests past headersTimeout / requestTimeout (Node's own default: 30 s). */
    checkIntervalMs: number;
  };
  /** API keys (src/access/): who may reach what. `/api/…` always needs a key; health is always open. */
  access: {
    /** `/metrics`: open to anyone who reaches it, or admin keys only. */
    metrics: EndpointAccess;
    /** `/docs`, `/docs-json` and `/docs-yaml`: open, or admin keys only. */
    docs: EndpointAccess;
    /** How long a verified (or refused) key stays in the process's cache: the longest a revocation (or a budget change) takes to bite. */
    keyCacheTtlMs: number;
    /** The budget of a store key that has none of its own (RATE_LIMIT_RATE requests per second, RATE_LIMIT_BURST at most at once). */
    storeKeyBudget: { rate: number; burst: number };
    /**
     * How long a 429 is held before it is sent (RATE_LIMIT_HOLD_MS; 0: at once): a client that sends
     * again the moment it is refused then cannot turn its refusals into a flood of its own.
     */
    refusalHoldMs: number;
  };
  /**
   * OpenTelemetry (src/tracing/): the SDK reads the OTEL_* variables itself; they are checked here so
   * that a bad one is a start-up error like any other, and named in the start-up log.
   */
  tracing: {
    /** Where traces go (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces); none: tracing off. */
    endpoint: string | undefined;
    protocol: OtlpProtocol;
    sampler: string;
  };
  pricing: {
    /**
     * How often each process reloads the pricing versions from the database whatever it was told: the
     * safety net under LISTEN/NOTIFY (a notification lost with its connection is caught up at the latest then).
     */
    reloadIntervalMs: number;
  };
}

/** The largest rate or burst of a rate limit budget (RATE_LIMIT_*, a key's own): far above what one key could ever send. */
export const MAX_RATE_LIMIT = 1_000_000;
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
/** The samplers OpenTelemetry's JavaScript SDK knows (OTEL_TRACES_SAMPLER). */
const TRACE_SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
];

export type EndpointAccess = 'open' | 'admin';
export const ENDPOINT_ACCESS: readonly EndpointAccess[] = ['open', 'admin'];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Most severe first: a level logs itself and everything before it. */
export const LOG_LEVELS: readonly LogLevelName[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
/** NestJS's names for two of them, still accepted. */
const LOG_LEVEL_ALIASES: Readonly<Record<string, LogLevelName>> = { log: 'info', verbose: 'trace' };

/** LOG_LEVEL as given (a standard name or a NestJS alias), or undefined when it is neither. */
export function logLevelFrom(raw: string | undefined): LogLevelName | undefined {
  const name = raw?.trim().toLowerCase() ?? '';
  return LOG_LEVELS.find((level) => level === name) ?? LOG_LEVEL_ALIASES[name];
}

/** Reads one variable at a time and collects every problem, so a bad deploy shows all of them at once. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  string(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    return raw.trim();
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const lowered = raw.toLowerCase();
    if (['true', '1', 'yes'].includes(lowered)) return true;
    if (['false', '0', 'no'].includes(lowered)) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }

  logLevel(name: string, fallback: LogLevelName): LogLevelName {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const level = logLevelFrom(raw);
    if (!level) this.problems.push(`${name} must be one of ${LOG_LEVELS.join(', ')} (got "${raw}")`);
    return level ?? fallback;
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw;
    } catch {
      this.problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return undefined;
    }
  }

  /**
   * A comma-separated allow-list of exact origins (`https://shop.example.com`, `http://localhost:5173`).
   * Absent or empty: none. `*` is refused: an allow-list is the point.
   */
  origins(name: string): string[] {
    const raw = this.string(name);
    if (raw === undefined) return [];
    const origins: string[] = [];
    for (const entry of raw.split(',').map((part) => part.trim())) {
      let origin: string | undefined;
      try {
        const url = new URL(entry);
        if (['http:', 'https:'].includes(url.protocol) && url.origin === entry) origin = url.origin;
      } catch {
        origin = undefined;
      }
      if (origin) origins.push(origin);
      else
        this.problems.push(
          `${name} entries must be origins like https://shop.example.com (scheme, host, optional port; no path, no *) (got "${entry}")`,
        );
    }
    return [...new Set(origins)];
  }

  pattern(name: string, re: RegExp, rule: string): string | undefined {
    const raw = this.string(name);
    if (raw !== undefined && !re.test(raw)) {
      this.problems.push(`${name} ${rule} (got "${raw}")`);
      return undefined;
    }
    return raw;
  }
}

/** DATABASE_URL, with its parameters checked as they will be applied (src/config/database-url.ts). */
function databaseUrl(read: EnvReader): string | undefined {
  const url = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  if (url === undefined) return undefined;
  const problems = databaseUrlProblems(url);
  read.problems.push(...problems);
  return problems.length > 0 ? undefined : url;
}

function logFormat(read: EnvReader): LogFormat {
  const setting = read.oneOf('LOG_FORMAT', LOG_FORMAT_SETTINGS, 'auto');
  if (setting === 'pretty' && !prettyAvailable()) {
    read.problems.push('LOG_FORMAT=pretty needs pino-pretty, a development dependency this install does not have: use json (or auto)');
  }
  return resolveLogFormat(setting, read.string('NODE_ENV') === 'production');
}

function tracing(read: EnvReader): AppConfig['tracing'] {
  const base = read.url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']);
  const traces = read.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http:', 'https:']);
  const protocol = read.oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', OTLP_PROTOCOLS, 'http/protobuf');
  read.string('OTEL_SERVICE_NAME'); // any name; listed here so that .env.example keeps it
  const sampler = read.oneOf('OTEL_TRACES_SAMPLER', TRACE_SAMPLERS, 'parentbased_always_on');
  read.pattern('OTEL_TRACES_SAMPLER_ARG', /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, 'must be a ratio from 0 to 1 (for the traceidratio samplers)');
  const endpoint = traces ?? (base && protocol !== 'grpc' ? `${base.replace(/\/+$/, '')}/v1/traces` : base);
  const disabled = read.oneOf('OTEL_SDK_DISABLED', ['true', 'false'], 'false') === 'true';
  return { endpoint: disabled ? undefined : endpoint, protocol, sampler };
}

function httpLimits(read: EnvReader): AppConfig['http'] {
  const headersTimeoutMs = read.int('HTTP_HEADERS_TIMEOUT_S', 10, 1, 600) * 1000;
  const requestTimeoutMs = read.int('HTTP_REQUEST_TIMEOUT_S', 30, 1, 3600) * 1000;
  // Above the usual load balancer idle timeout (AWS ALB and nginx: 60 s), so that the balancer, not
  // the service, closes an idle connection and never sends a request on one we are closing.
  const keepAliveTimeoutMs = read.int('HTTP_KEEP_ALIVE_TIMEOUT_S', 65, 1, 3600) * 1000;
  const maxConnections = read.int('HTTP_MAX_CONNECTIONS', 2000, 1, 1_000_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    read.problems.push('HTTP_HEADERS_TIMEOUT_S must not be larger than HTTP_REQUEST_TIMEOUT_S (the headers are part of the request)');
  }
  return { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections, checkIntervalMs: Math.min(1000, headersTimeoutMs / 2) };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const read = new EnvReader(env);
  const dataDir = resolve(read.string('DATA_DIR') ?? '.data');
  const poolSize = read.int('DB_POOL_SIZE', 10, 1, 500);
  const config: AppConfig = {
    production: read.string('NODE_ENV') === 'production',
    port: read.int('PORT', 3000, 0, 65535),
    host: read.string('HOST') ?? '0.0.0.0',
    workers: read.int('WEB_CONCURRENCY', 1, 1, 64),
    logLevel: read.logLevel('LOG_LEVEL', 'info'),
    logFormat: logFormat(read),
    dataDir,
    database: {
      url: databaseUrl(read),
      embeddedPort: read.int('EMBEDDED_PG_PORT', 54329, 1, 65535),
      poolSize,
      acquireTimeoutMs: read.int('DB_ACQUIRE_TIMEOUT_MS', 2000, 50, 60000),
      statementTimeoutMs: read.int('DB_STATEMENT_TIMEOUT_MS', 5000, 100, 600000),
      writeGroups: read.int('DB_WRITE_GROUPS', Math.min(4, poolSize), 1, 500),
      writeGroupMax: read.int('DB_WRITE_GROUP_MAX', 100, 1, 1000),
    },
    archive: {
      s3Bucket: read.pattern('S3_BUCKET', /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
      s3Region: read.pattern('S3_REGION', /^[a-z0-9-]+$/, 'must look like us-east-1') ?? 'us-east-1',
      s3Endpoint: read.url('S3_ENDPOINT', ['http:', 'https:']),
      s3ForcePathStyle: read.bool('S3_FORCE_PATH_STYLE', false),
      s3TimeoutMs: read.int('S3_TIMEOUT_MS', 10000, 100, 600000),
      localDir: resolve(read.string('ARCHIVE_DIR') ?? resolve(dataDir, 'archive')),
      sweepIntervalMs: read.int('ARCHIVE_SWEEP_INTERVAL_MS', 1000, 10, 3600000),
      leaseMs: read.int('ARCHIVE_LEASE_MS', 30000, 100, 3600000),
      backoffBaseMs: read.int('ARCHIVE_BACKOFF_BASE_MS', 1000, 1, 3600000),
      backoffMaxMs: read.int('ARCHIVE_BACKOFF_MAX_MS', 300000, 1, 86400000),
      batchSize: read.int('ARCHIVE_BATCH_SIZE', 100, 1, 10000),
      uploadConcurrency: read.int('ARCHIVE_UPLOAD_CONCURRENCY', 16, 1, 1000),
      retentionHours: read.int('ARCHIVE_RETENTION_HOURS', 168, 0, 87600),
      stuckAfterMs: read.int('ARCHIVE_STUCK_AFTER_MS', 300000, 1000, 86400000),
    },
    shutdownDrainMs: read.int('SHUTDOWN_DRAIN_MS', 12000, 0, 600000),
    shutdownDelayMs: read.int('SHUTDOWN_DELAY_MS', 5000, 0, 600000),
    corsOrigins: read.origins('CORS_ORIGINS'),
    http: httpLimits(read),
    access: {
      metrics: read.oneOf('METRICS_ACCESS', ENDPOINT_ACCESS, 'open'),
      docs: read.oneOf('DOCS_ACCESS', ENDPOINT_ACCESS, 'open'),
      keyCacheTtlMs: read.int('API_KEY_CACHE_TTL_MS', 30000, 0, 300000),
      storeKeyBudget: {
        rate: read.int('RATE_LIMIT_RATE', 100, 1, MAX_RATE_LIMIT),
        burst: read.int('RATE_LIMIT_BURST', 200, 1, MAX_RATE_LIMIT),
      },
      refusalHoldMs: read.int('RATE_LIMIT_HOLD_MS', 1000, 0, 10000),
    },
    tracing: tracing(read),
    pricing: { reloadIntervalMs: read.int('PRICING_RELOAD_INTERVAL_MS', 30000, 100, 3600000) },
  };
  if (config.archive.s3Endpoint && !config.archive.s3Bucket) {
    read.problems.push('S3_ENDPOINT is set but S3_BUCKET is not: set S3_BUCKET too, or unset S3_ENDPOINT');
  }
  if (config.database.writeGroups > config.database.poolSize) {
    read.problems.push('DB_WRITE_GROUPS must not be larger than DB_POOL_SIZE (each group commit in flight holds a pooled connection)');
  }
  if (config.production && read.string('DATABASE_URL') === undefined) {
    read.problems.push('DATABASE_URL is required in production (NODE_ENV=production): the embedded PostgreSQL is a development fallback');
  }
  // A folder in the container's own file system is lost with the container: in production the archive
  // goes to S3, or to a folder someone chose on purpose (a mounted volume), never to the default.
  if (config.production && read.string('S3_BUCKET') === undefined && read.string('ARCHIVE_DIR') === undefined) {
    read.problems.push(
      'S3_BUCKET is required in production (NODE_ENV=production): the archive folder under DATA_DIR is a development fallback, ' +
        'lost with the container. To archive to a folder on durable storage (a mounted volume) instead, set ARCHIVE_DIR to it',
    );
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/**
 * The configuration as a typed `@nestjs/config` namespace: `ConfigModule.forRoot({ load: [appConfig] })`
 * reads it once (after loading `.env`, for local use); inject it with `@Inject(appConfig.KEY)`.
 * Tests override the provider with their own `loadConfig(env)`.
 */
export const appConfig = registerAs('app', (): AppConfig => loadConfig(process.env));
