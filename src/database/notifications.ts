import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { backoffDelay } from '../common/backoff.js';
import { Sql } from './sql.js';

/** What a listener is told: each notification's payload, and every (re)connection — after which it must assume it missed some. */
export interface ChannelHandlers {
  onNotification(payload: string): void;
  onListening(): void;
}

const RECONNECT_BASE_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/**
 * LISTEN on one channel over a dedicated connection (a pooled one would be handed to requests), made
 * with the pool's own connection settings. A lost connection is reopened with capped backoff, for
 * as long as the process runs; `onListening` fires after every LISTEN, so the subscriber reloads
 * whatever it may have missed while disconnected. Why not the `pg-listen` package: unmaintained since
 * 2020, and it gives up after a retry limit.
 */
export class ChannelListener {
  private readonly logger = new Logger('DatabaseNotifications');
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private attempts = 0;
  private stopped = false;

  constructor(
    private readonly options: pg.ClientConfig,
    private readonly channel: string,
    private readonly handlers: ChannelHandlers,
  ) {}

  start(): void {
    void this.connect();
  }

  /**
   * Proves the connection still answers (a silently dropped one is only noticed by TCP keepalive,
   * after minutes); one that does not is dropped and reopened. Called by the subscriber's periodic work.
   */
  async verify(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.query('SELECT 1');
    } catch {
      this.lost(client, 'did not answer');
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    // pg-pool keeps `password` non-enumerable (out of stack traces), so a spread alone would drop it.
    const client = new pg.Client({ ...this.options, password: this.options.password, application_name: 'warranty-service listener' });
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.handlers.onNotification(message.payload ?? '');
    });
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    } catch (error) {
      this.lost(client, error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.client !== client) return;
    if (this.attempts > 0) this.logger.log({ message: 'listening again', channel: this.channel, attempts: this.attempts });
    this.attempts = 0;
    this.handlers.onListening();
  }

  /** Drops `client` (once) and schedules the next connection. */
  private lost(client: pg.Client, reason: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    if (this.attempts++ === 0) this.logger.warn({ message: 'listener connection lost; reconnecting', channel: this.channel, reason });
    this.retry = setTimeout(() => void this.connect(), backoffDelay(this.attempts, RECONNECT_BASE_MS, RECONNECT_MAX_MS));
    this.retry.unref();
  }
}

/**
 * PostgreSQL LISTEN/NOTIFY for the modules: `notify` inside a transaction is delivered when (and only
 * if) it commits; `listen` keeps a dedicated connection open on a channel. One per process.
 */
@Injectable()
export class DatabaseNotifications implements OnApplicationShutdown {
  private readonly listeners = new Set<ChannelListener>();

  constructor(
    private readonly orm: MikroORM,
    private readonly sql: Sql,
  ) {}

  async notify(channel: string, payload: string): Promise<void> {
    await this.sql.query('SELECT pg_notify(?, ?)', [channel, payload]);
  }

  async listen(channel: string, handlers: ChannelHandlers): Promise<ChannelListener> {
    const pool = (await this.orm.em.getConnection().getNativeClient()) as pg.Pool & { options: pg.ClientConfig };
    const listener = new ChannelListener(pool.options, channel, handlers);
    this.listeners.add(listener);
    listener.start();
    return listener;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.listeners].map((listener) => listener.close()));
  }
}
