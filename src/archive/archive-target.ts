/** Where archive records go: one port, two adapters (S3, or a local folder without S3 configured). */
export abstract class ArchiveTarget {
  /** Stores `body` under `key`; writing the same key again replaces it (uploads are at-least-once). */
  abstract put(key: string, body: string): Promise<void>;
  /** What readiness shows, which is public: the kind of target, not where it is. */
  abstract readonly kind: 's3' | 'local';
  /** For logs, e.g. "s3://bucket" or "file:///…/.data/archive". */
  abstract describe(): string;
}
