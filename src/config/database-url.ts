import { readFileSync } from 'node:fs';
import { getCACertificates, type ConnectionOptions } from 'node:tls';
import pg from 'pg';

/**
 * The one place where DATABASE_URL becomes pg's connection options, for the service, the migrations and
 * the keys command alike. MikroORM reads only host, port, user, password and database from a URL and
 * drops the rest, and pg's own parser reads `sslmode=require` as verify-full: so the URL is parsed here,
 * with libpq's meaning for every parameter, and a parameter we cannot apply is an error, never dropped.
 */

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];
/** Every query parameter the service applies; any other is a start-up error. */
export const DATABASE_URL_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'application_name'] as const;
const CLIENT_FILES = ['sslrootcert', 'sslcert', 'sslkey', 'sslpassword'] as const;

/** What pg's Client and Pool need to open a connection. */
export interface PgConnectionOptions {
  host: string | undefined;
  port: number;
  user: string;
  password: string;
  database: string;
  application_name: string;
  ssl: false | ConnectionOptions;
}

/** Options that open a connection, and how it is protected, in words for the start-up log. */
export interface DatabaseConnection {
  options: PgConnectionOptions;
  tls: string;
}

interface ParsedUrl {
  url: URL;
  base: Omit<PgConnectionOptions, 'ssl'>;
  sslmode: SslMode;
  /** The TLS options for this URL's verification level (used unless sslmode is disable). */
  tls: ConnectionOptions;
  /** The certificate is checked against sslrootcert: verify-ca, verify-full, or any TLS mode given a root certificate. */
  verified: boolean;
}

class DatabaseUrlProblems extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

function readPem(name: string, path: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`DATABASE_URL ${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return undefined;
  }
}

/** libpq's rules for the parameters, each broken one a problem naming it (never the URL: it may hold a password). */
function parse(raw: string): ParsedUrl {
  const problems: string[] = [];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DatabaseUrlProblems(['DATABASE_URL must be a URL starting with postgres:// or postgresql://']);
  }
  const params = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (!(DATABASE_URL_PARAMETERS as readonly string[]).includes(name)) {
      problems.push(
        `DATABASE_URL parameter "${name}" is not supported: the service applies only ${DATABASE_URL_PARAMETERS.join(', ')} ` +
          '(remove it, or see README "TLS to PostgreSQL")',
      );
    } else if (params.has(name)) problems.push(`DATABASE_URL parameter "${name}" is given twice`);
    params.set(name, value);
  }
  const rootcert = params.get('sslrootcert');
  const given = params.get('sslmode');
  // libpq: sslrootcert=system trusts the system's CAs and then demands verify-full (weaker modes are an error).
  const sslmode = (given ?? (rootcert === 'system' ? 'verify-full' : 'prefer')) as SslMode;
  if (!(SSL_MODES as readonly string[]).includes(sslmode)) {
    problems.push(`DATABASE_URL sslmode must be one of ${SSL_MODES.join(', ')} (got "${given}")`);
  } else if (sslmode === 'disable') {
    for (const name of CLIENT_FILES)
      if (params.has(name)) problems.push(`DATABASE_URL ${name} has no effect with sslmode=disable: remove one of them`);
  } else {
    if ((sslmode === 'verify-ca' || sslmode === 'verify-full') && !rootcert) {
      problems.push(
        `DATABASE_URL sslmode=${sslmode} needs sslrootcert: the CA certificate file to verify the server with (or sslrootcert=system for the system's CAs)`,
      );
    }
    if (rootcert === 'system' && sslmode !== 'verify-full') {
      problems.push(`DATABASE_URL sslrootcert=system requires sslmode=verify-full (got "${sslmode}")`);
    }
    if (params.has('sslcert') !== params.has('sslkey')) {
      problems.push('DATABASE_URL sslcert and sslkey go together: the client certificate and its private key');
    }
    if (params.has('sslpassword') && !params.has('sslkey'))
      problems.push('DATABASE_URL sslpassword is for an encrypted sslkey, and there is none');
  }
  const tls: ConnectionOptions = {};
  if (rootcert === 'system') tls.ca = getCACertificates('system');
  else if (rootcert) tls.ca = readPem('sslrootcert', rootcert, problems);
  if (params.has('sslcert')) tls.cert = readPem('sslcert', params.get('sslcert')!, problems);
  if (params.has('sslkey')) tls.key = readPem('sslkey', params.get('sslkey')!, problems);
  if (params.has('sslpassword')) tls.passphrase = params.get('sslpassword');
  if (problems.length > 0) throw new DatabaseUrlProblems(problems);

  // libpq checks the chain whenever it has a root certificate (require with one acts as verify-ca), the
  // host name only in verify-full; without one, require/prefer/allow encrypt but verify nothing.
  const verified = rootcert !== undefined;
  const host = decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1') || undefined;
  if (!verified) tls.rejectUnauthorized = false;
  else if (sslmode !== 'verify-full') tls.checkServerIdentity = () => undefined;
  // The name the certificate must carry. pg sets it only for DNS names (as SNI), and the pg that MikroORM
  // pins (8.23.0) not at all for an IP address, so that Node checked such a server against "localhost".
  else tls.host = host;
  const user = decodeURIComponent(url.username);
  return {
    url,
    sslmode,
    tls,
    verified,
    base: {
      host,
      port: Number(url.port) || 5432,
      user,
      password: decodeURIComponent(url.password),
      // libpq: the database defaults to the user name.
      database: decodeURIComponent(url.pathname.slice(1)) || user,
      application_name: params.get('application_name') ?? 'warranty-service',
    },
  };
}

/** What is wrong with DATABASE_URL's parameters, one line each naming the parameter; empty when nothing is. */
export function databaseUrlProblems(url: string): string[] {
  try {
    parse(url);
    return [];
  } catch (error) {
    if (error instanceof DatabaseUrlProblems) return error.problems;
    throw error;
  }
}

function describe(parsed: ParsedUrl, encrypted: boolean, tlsFailure?: string): string {
  if (!encrypted) return `none (sslmode=${parsed.sslmode}${tlsFailure ? `; TLS failed: ${tlsFailure}` : ''})`;
  if (!parsed.verified) return `TLS, server certificate not verified (sslmode=${parsed.sslmode})`;
  if (parsed.sslmode === 'verify-full') return 'TLS, server certificate and host name verified (sslmode=verify-full)';
  return `TLS, server certificate verified against sslrootcert, host name not checked (sslmode=${parsed.sslmode})`;
}

/** Connects once with `options` and disconnects: undefined when it worked, else why not. */
async function tryConnect(options: PgConnectionOptions, timeoutMs: number): Promise<Error | undefined> {
  const client = new pg.Client({ ...options, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * pg's connection options for DATABASE_URL. prefer and allow cannot be left to pg, which has no
 * fallback between TLS and plain: they are settled here by trying, in libpq's order (prefer: TLS first,
 * allow: plain first), once for the caller — not per connection as libpq does. See settledDatabaseUrl.
 */
export async function databaseConnection(url: string, timeoutMs = 10_000): Promise<DatabaseConnection> {
  const parsed = parse(url);
  const withTls = { ...parsed.base, ssl: parsed.tls };
  const plain = { ...parsed.base, ssl: false as const };
  if (parsed.sslmode === 'disable') return { options: plain, tls: describe(parsed, false) };
  if (parsed.sslmode !== 'prefer' && parsed.sslmode !== 'allow') return { options: withTls, tls: describe(parsed, true) };
  const order = parsed.sslmode === 'prefer' ? [withTls, plain] : [plain, withTls];
  let tlsFailure: string | undefined;
  const failures: string[] = [];
  for (const options of order) {
    const failure = await tryConnect(options, timeoutMs);
    if (!failure) return { options, tls: describe(parsed, options.ssl !== false, tlsFailure) };
    if (options.ssl !== false) tlsFailure = failure.message;
    failures.push(`${options.ssl === false ? 'without TLS' : 'with TLS'}: ${failure.message}`);
  }
  throw new Error(`cannot connect to PostgreSQL (sslmode=${parsed.sslmode}) ${failures.join('; ')}`);
}

/**
 * DATABASE_URL with prefer/allow replaced by what worked (require, or disable without the TLS
 * parameters), so that processes started from it (cluster workers) connect the same way without trying
 * again — also while the database is briefly unreachable.
 */
export async function settledDatabaseUrl(url: string, timeoutMs?: number): Promise<{ url: string; tls: string }> {
  const parsed = parse(url);
  const connection = await databaseConnection(url, timeoutMs);
  if (parsed.sslmode !== 'prefer' && parsed.sslmode !== 'allow') return { url, tls: connection.tls };
  const settled = new URL(parsed.url);
  if (connection.options.ssl === false) {
    for (const name of CLIENT_FILES) settled.searchParams.delete(name);
    settled.searchParams.set('sslmode', 'disable');
  } else settled.searchParams.set('sslmode', 'require');
  return { url: settled.toString(), tls: connection.tls };
}
