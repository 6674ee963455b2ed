import type { FileId } from "../metadata/types.js";
import type { Share } from "./share.js";

/** What a protocol is about to do to a file's data. */
export type DataUse = "read" | "write";

/**
 * Asks the caches one protocol's clients hold of a file (SMB oplocks and leases) to give way
 * before another protocol uses its data: returns what to wait for, or null when nobody caches it.
 */
export type CacheBreaker = (share: Share, fileId: FileId, use: DataUse) => Promise<void> | null;

/**
 * The meeting point of protocols that cache (SMB) and those that do not (NFS): before NFS reads a
 * file, a client that caches writes to it flushes them; before NFS writes it, every client that
 * caches it drops its cache. Cheap when nobody caches anything: one call that returns null.
 */
export class ClientCaches {
  private readonly breakers = new Set<CacheBreaker>();

  /** Adds a protocol's breaker; returns the way to take it back. */
  register(breaker: CacheBreaker): () => void {
    this.breakers.add(breaker);
    return () => this.breakers.delete(breaker);
  }

  /** What to wait for before `use` of the file's data, or null when nothing is cached. */
  settle(share: Share, fileId: FileId, use: DataUse): Promise<void> | null {
    let pending: Promise<void>[] | null = null;
    for (const breaker of this.breakers) {
      const wait = breaker(share, fileId, use);
      if (wait) (pending ??= []).push(wait);
    }
    return pending && Promise.all(pending).then(() => undefined);
  }
}
