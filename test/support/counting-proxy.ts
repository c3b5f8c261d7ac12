import { Agent } from 'node:http';
import { forward, startLoopbackServer, type LoopbackServer } from './loopback-proxy.js';

/**
 * An HTTP proxy on 127.0.0.1 that counts S3 PutObject requests per object key: how many were sent, and
 * how many the upstream accepted (2xx). Put it in front of an S3FaultProxy (service → counting proxy →
 * fault proxy → s3rver) to tell "retried after a failure" from "uploaded twice". Path-style URLs only
 * (`/<bucket>/<key>`), as the service uses with S3_FORCE_PATH_STYLE=true.
 */
export class CountingS3Proxy {
  /** PUT attempts per key, whatever their outcome. */
  readonly attempts = new Map<string, number>();
  /** PUTs per key that upstream answered with a 2xx: the key was (re-)written this many times. */
  readonly stored = new Map<string, number>();
  private server: LoopbackServer | undefined;
  /** Its own connections upstream, closed by stop() (the global agent would keep them open). */
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly upstream: string) {}

  async start(): Promise<string> {
    const target = new URL(this.upstream);
    this.server = await startLoopbackServer((incoming, outgoing) => {
      const key = incoming.method === 'PUT' ? objectKey(incoming.url ?? '') : undefined;
      if (key !== undefined) this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
      forward(incoming, outgoing, target, {
        agent: this.agent,
        onStatus: (status) => {
          if (key !== undefined && status >= 200 && status < 300) this.stored.set(key, (this.stored.get(key) ?? 0) + 1);
        },
      });
    });
    return this.server.url;
  }

  /** Keys that upstream stored more than once. */
  duplicates(): [string, number][] {
    return [...this.stored].filter(([, count]) => count > 1);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.agent.destroy();
  }
}

/** `/bucket/warranties/…json?x-id=PutObject` → `warranties/…json`. */
function objectKey(url: string): string | undefined {
  const path = url.split('?')[0];
  const match = /^\/[^/]+\/(.+)$/.exec(path);
  return match ? decodeURIComponent(match[1]) : undefined;
}
