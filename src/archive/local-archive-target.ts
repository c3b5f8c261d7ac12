import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ArchiveTarget } from './archive-target.js';

/** The embedded default: files under a folder, with the S3 key layout as the relative path. */
export class LocalArchiveTarget extends ArchiveTarget {
  readonly kind = 'local';
  private readonly root: string;
  /** Folders already made by this process (one per store and day), so most writes skip mkdir. */
  private readonly madeFolders = new Set<string>();

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  override async put(key: string, body: string): Promise<void> {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`archive key escapes the archive folder: ${key}`);
    const folder = dirname(path);
    if (!this.madeFolders.has(folder)) {
      await mkdir(folder, { recursive: true });
      if (this.madeFolders.size > 100_000) this.madeFolders.clear();
      this.madeFolders.add(folder);
    }
    // Write then rename, so a reader (or a crash) never sees half a record.
    const partial = `${path}.${randomUUID()}.partial`;
    try {
      await writeFile(partial, body);
      await rename(partial, path);
    } catch (error) {
      // The folder was removed under us: make it again on the retry.
      this.madeFolders.delete(folder);
      throw error;
    }
  }

  override describe(): string {
    return `file://${this.root}`;
  }
}
