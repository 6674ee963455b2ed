import { type ExchangedRead, ReadAhead, type ReadAheadStats } from "../cache/read-ahead.js";
import { WriteCache } from "../cache/write-cache.js";
import { FsError, fsError } from "../errors.js";
import type { Logger } from "../util/logger.js";
import type { RemoteCacheStatus } from "./remote-status.js";
import type { ContentPlace, ContentStore } from "./store.js";
import type { WriteLeases } from "./write-leases.js";
import { checkContentId, checkRange, checkReadInto, checkSize } from "./validate.js";

export type Stability = "unstable" | "data_sync" | "file_sync";

export interface ContentCacheOptions {
  /** Dirty bytes held per service before the oldest are written to their stores. */
  maxDirtyBytes: number;
  /**
   * Unstable writes cached this long with no COMMIT are written to their store (not synced),
   * like the kernel's dirty_expire. Default 5 s.
   */
  flushAfterMs?: number;
  /** How often cached writes are checked for that age. Default 1 s (at most flushAfterMs). */
  flushIntervalMs?: number;
}

/**
 * The one entry point for file content: routes each call by share to its store, through the
 * write cache (core/cache/write-cache.ts). Unstable writes land in the cache (small ones) or
 * the store (large ones); cached ones reach the store on COMMIT, under budget pressure or once
 * they are `flushAfterMs` old. Stable writes and commits reach the store and are synced before
 * they resolve. Sequential reads through readExchange are read ahead (core/cache/read-ahead.ts),
 * except on stores whose files other programs change (writesInPlace); every write, truncate and
 * delete drops the file's read-ahead. Arguments are checked here, so
 * a bad id or offset never reaches a store, and every failure is an FsError (an unknown share
 * is Stale).
 */
export class ContentService {
  private readonly stores = new Map<string, ContentStore>();
  /** Shares whose COMMIT waits for the remote store. */
  private readonly remoteDurable = new Set<string>();
  /** Shares that several servers share: changes run under a per-file write lease. */
  private readonly leases = new Map<string, WriteLeases>();
  private readonly cache: WriteCache;
  private readonly readAhead: ReadAhead;

  constructor(
    private readonly logger: Logger,
    options: ContentCacheOptions,
  ) {
    this.cache = new WriteCache(logger, options);
    this.readAhead = new ReadAhead((store, id, offset, length, into) => this.cache.read(store, id, offset, length, into));
  }

  readAheadStats(): ReadAheadStats {
    return this.readAhead.stats();
  }

  /**
   * With durability "remote", COMMIT and stable writes resolve only once the bytes are in the
   * store's remote side (for stores that have one; others are durable once synced anyway).
   */
  registerShare(share: string, store: ContentStore, durability: "local" | "remote" = "local", leases?: WriteLeases): void {
    const existing = this.stores.get(share);
    if (existing && existing !== store) throw fsError("Exists", `share ${share} already has a content store`);
    this.stores.set(share, store);
    if (durability === "remote") this.remoteDurable.add(share);
    else this.remoteDurable.delete(share);
    if (leases) this.leases.set(share, leases);
    else this.leases.delete(share);
  }

  /** The share's upload queue and cache, for shares on a store with a remote side; else null. */
  remoteStatus(share: string): RemoteCacheStatus | null {
    return this.storeOf(share).remoteStatus?.() ?? null;
  }

  /** Runs again the share's uploads a permanent failure stopped; how many were queued (0 without a remote side). */
  retryUploads(share: string): number {
    return this.storeOf(share).retryUploads?.() ?? 0;
  }

  /** Commits the share's cached writes, then forgets the share (the store stays open). */
  async unregisterShare(share: string): Promise<void> {
    const store = this.stores.get(share);
    if (!store) return;
    await this.guard(() => this.cache.commitAll(store));
    this.stores.delete(share);
    this.remoteDurable.delete(share);
  }

  /**
   * Up to `length` bytes at `offset` (the caller clamps to the file size from metadata). With
   * `into` (at least `length` bytes) the result is a view of its start, so that a caller can
   * reuse one buffer for many reads.
   */
  read(share: string, contentId: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    return this.guard(() => {
      const store = this.storeOf(share);
      checkContentId(contentId);
      checkRange(offset, length);
      checkReadInto(into, length);
      return this.cache.read(store, contentId, offset, length, into);
    });
  }

  /**
   * Like read with `into`, for a caller that passes buffers on by reference (NFS READ): a
   * sequential read may be served from a read-ahead buffer of the same size, handed over in
   * exchange for `into`. The caller owns the returned `buffer` (data is a view of its start)
   * and no longer owns `into` when the two differ.
   */
  readExchange(share: string, contentId: string, offset: number, length: number, into: Buffer): Promise<ExchangedRead> {
    return this.guard(() => {
      const store = this.storeOf(share);
      checkContentId(contentId);
      checkRange(offset, length);
      checkReadInto(into, length);
      // Files other programs change behind the server's back are read as they are now, never
      // from a buffer read ahead before the change (the kernel's own read-ahead serves them).
      if (store.writesInPlace) return this.cache.read(store, contentId, offset, length, into).then((data) => ({ data, buffer: into }));
      return this.readAhead.read(store, contentId, offset, length, into);
    });
  }

  /** Lands in the cache; data_sync/file_sync also make it durable in the store before resolving. */
  write(share: string, contentId: string, offset: number, data: Buffer, stability: Stability): Promise<void> {
    return this.guard(() => {
      const store = this.storeOf(share);
      checkContentId(contentId);
      checkRange(offset, data.length);
      const stable = stability !== "unstable";
      return this.changing(share, contentId, async () => {
        await this.cache.write(store, contentId, offset, data, stable || store.writesInPlace === true);
        if (stable) {
          await this.cache.sync(store, contentId);
          await this.remoteDurability(share, store, contentId);
        }
      });
    });
  }

  /**
   * Flushes the file's cached writes to the store and makes them durable (on a share with
   * remote durability: in the remote store).
   */
  commit(share: string, contentId: string): Promise<void> {
    return this.guard(async () => {
      const store = this.storeOf(share);
      checkContentId(contentId);
      await this.cache.commit(store, contentId);
      await this.remoteDurability(share, store, contentId);
    });
  }

  /**
   * Makes everything written to the file so far reach the remote store (for a store with one):
   * what a write lease waits for before another server may write the file.
   */
  settle(share: string, contentId: string): Promise<void> {
    return this.guard(async () => {
      const store = this.storeOf(share);
      checkContentId(contentId);
      await this.cache.commit(store, contentId);
      await store.waitRemote?.(contentId);
    });
  }

  private async remoteDurability(share: string, store: ContentStore, contentId: string): Promise<void> {
    if (this.remoteDurable.has(share) && store.waitRemote) await store.waitRemote(contentId);
  }

  truncate(share: string, contentId: string, size: number): Promise<void> {
    return this.guard(() => {
      const store = this.storeOf(share);
      checkContentId(contentId);
      checkSize(size);
      return this.changing(share, contentId, () => this.cache.truncate(store, contentId, size));
    });
  }

  delete(share: string, contentId: string): Promise<void> {
    return this.guard(() => {
      const store = this.storeOf(share);
      checkContentId(contentId);
      return this.changing(share, contentId, () => this.cache.delete(store, contentId));
    });
  }

  /**
   * Keeps the file's content on this computer only or in the remote store from now on (stores
   * with a remote side; others hold everything locally anyway). Cached writes reach the store
   * first, so that the move carries them.
   */
  place(share: string, contentId: string, where: ContentPlace, fresh = false): Promise<void> {
    return this.guard(async () => {
      const store = this.storeOf(share);
      checkContentId(contentId);
      const place = store.place?.bind(store);
      if (!place) return;
      await this.changing(share, contentId, async () => {
        if (!fresh) await this.cache.commit(store, contentId);
        await place(contentId, where, fresh);
      });
    });
  }

  space(share: string): Promise<{ used: number; available: number }> {
    return this.guard(() => this.storeOf(share).space());
  }

  /** Flushes and syncs everything cached (graceful shutdown); this also stops the idle flush timer. */
  flushAll(): Promise<void> {
    return this.guard(async () => {
      try {
        await this.cache.commitAll();
      } catch (err) {
        this.logger.error({ err }, "flushing cached writes failed");
        throw err;
      }
    });
  }

  private storeOf(share: string): ContentStore {
    const store = this.stores.get(share);
    if (!store) throw fsError("Stale", `no content store for share ${JSON.stringify(share)}`);
    return store;
  }

  /**
   * Runs a change of the content (under its write lease on a share several servers share),
   * dropping its read-ahead before and after: a prefetch that started while the change was in
   * flight may hold the old bytes.
   */
  private async changing(share: string, contentId: string, change: () => Promise<void>): Promise<void> {
    const leases = this.leases.get(share);
    if (leases) return leases.change(contentId, () => this.changingContent(contentId, change));
    return this.changingContent(contentId, change);
  }

  private async changingContent(contentId: string, change: () => Promise<void>): Promise<void> {
    this.readAhead.invalidate(contentId);
    try {
      await change();
    } finally {
      this.readAhead.invalidate(contentId);
    }
  }


  /** Runs `call`, turning anything thrown (synchronously or not) into an FsError. */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof FsError) throw err;
      throw fsError("Io", `content operation failed: ${(err as Error)?.message ?? String(err)}`, err);
    }
  }
}
