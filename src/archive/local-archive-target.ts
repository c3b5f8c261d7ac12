import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ArchiveTarget } from './archive-target.js';

/** Where records are written before they are renamed into place (inside the root: same file system, so the rename is atomic). */
export const PARTIAL_FOLDER = '.incomplete';
/**
 * A partial file older than this was left by a process that died mid-write (a write takes
 * milliseconds); younger ones may belong to a sibling worker writing right now, and are left alone.
 */
export const STALE_PARTIAL_MS = 60_000;

/** The embedded default: files under a folder, with the S3 key layout as the relative path. */
export class LocalArchiveTarget extends ArchiveTarget {
  readonly kind = 'local';
  private readonly root: string;
  private readonly partials: string;
  /** Folders already made by this process (one per store and day), so most writes skip mkdir. */
  private readonly madeFolders = new Set<string>();
  /** The start-up clean-up of partial files a crash left behind: how many it removed. */
  readonly staleRemoved: Promise<number>;

  constructor(root: string, staleAfterMs = STALE_PARTIAL_MS) {
    super();
    this.root = resolve(root);
    this.partials = join(this.root, PARTIAL_FOLDER);
    this.staleRemoved = this.removeStalePartials(staleAfterMs).catch(() => 0);
  }

  override async put(key: string, body: string): Promise<void> {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep) || path.startsWith(this.partials + sep)) {
      throw new Error(`archive key escapes the archive folder: ${key}`);
    }
    const folder = dirname(path);
    for (const needed of [this.partials, folder]) {
      if (this.madeFolders.has(needed)) continue;
      await mkdir(needed, { recursive: true });
      if (this.madeFolders.size > 100_000) this.madeFolders.clear();
      this.madeFolders.add(needed);
    }
    // Write then rename, so a reader (or a crash) never sees half a record. All partial files live in
    // one folder, so whatever a crash leaves is found (and removed at the next start) without a walk.
    // On the calling thread: a record is a few kB into the page cache, and the thread pool's four
    // hand-offs (open, write, close, rename) cost more CPU than the writes (docs/performance.md).
    const partial = join(this.partials, `${randomUUID()}.partial`);
    try {
      writeFileSync(partial, body);
      renameSync(partial, path);
    } catch (error) {
      await rm(partial, { force: true }).catch(() => undefined);
      // A folder was removed under us: make it again on the retry.
      this.madeFolders.delete(folder);
      this.madeFolders.delete(this.partials);
      throw error;
    }
  }

  override describe(): string {
    return `file://${this.root}`;
  }

  private async removeStalePartials(staleAfterMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.partials);
    } catch {
      return 0; // no folder yet
    }
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith('.partial')) continue;
      const path = join(this.partials, name);
      try {
        if (Date.now() - (await stat(path)).mtimeMs < staleAfterMs) continue;
        await rm(path, { force: true });
        removed++;
      } catch {
        // taken care of by someone else meanwhile
      }
    }
    return removed;
  }
}
