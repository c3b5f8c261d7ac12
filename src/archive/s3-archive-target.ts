import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AppConfig } from '../config/app-config.js';
import { ArchiveTarget } from './archive-target.js';

/** PutObject into the configured bucket. Credentials come from the SDK's default provider chain only. */
export class S3ArchiveTarget extends ArchiveTarget {
  readonly kind = 's3';
  private readonly client: S3Client;

  constructor(private readonly settings: AppConfig['archive'] & { s3Bucket: string }) {
    super();
    this.client = new S3Client({
      region: settings.s3Region,
      endpoint: settings.s3Endpoint,
      forcePathStyle: settings.s3ForcePathStyle,
      // Retries belong to the outbox (with backoff across restarts), not to one hanging request.
      maxAttempts: 1,
      requestHandler: {
        requestTimeout: settings.s3TimeoutMs,
        connectionTimeout: Math.min(settings.s3TimeoutMs, 5000),
        // One socket per upload the uploader allows in flight (the SDK's default of 50 would queue, and warn, above that).
        httpAgent: { keepAlive: true, maxSockets: settings.uploadConcurrency },
        httpsAgent: { keepAlive: true, maxSockets: settings.uploadConcurrency },
      },
    });
  }

  override async put(key: string, body: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.settings.s3Bucket, Key: key, Body: body, ContentType: 'application/json' }),
      { abortSignal: AbortSignal.timeout(this.settings.s3TimeoutMs) },
    );
  }

  override describe(): string {
    return `s3://${this.settings.s3Bucket}${this.settings.s3Endpoint ? ` at ${this.settings.s3Endpoint}` : ''}`;
  }
}
