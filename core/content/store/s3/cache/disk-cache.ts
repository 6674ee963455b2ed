import { EventEmitter } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { LocalFiles } from "../../../../util/local-files.js";
import type { RemoteCacheEvents, RemoteCacheStatus } from "../../../remote-status.js";
import { Parking } from "./backoff.js";
import type { CachedFile } from "./cached-file.js";
import { CacheContext, type RemoteCacheOptions } from "./context.js";
import { Room } from "./eviction.js";
import { ReadCache } from "./fetch.js";
import { Journal } from "./journal.js";
import { RecentChunks } from "./recent-chunks.js";
import { resume } from "./recovery.js";
import { Segments } from "./segments.js";
import { StatusEvents } from "./status-events.js";
import { Streamer } from "./streaming.js";
import { Uploader } from "./upload.js";
import { UploadQueue } from "./upload-queue.js";

const IDLE_CHECK_MS = 1_000;

/**
 * The per-store disk cache in front of a remote object store (./backend.ts), as the S3 content
 * store sees it. The work is done by its parts, one concern each:
 *
 * - Writes land in local segment files; sync() fsyncs them and writes a journal row, which is
 *   the durability point of COMMIT, and queues the upload. Changes nobody commits go out after
 *   `uploadAfterMs`. (Here.)
 * - Uploads run in the background, `uploadConcurrency` files at a time, one job per key at a
 *   time (upload-queue.ts); an upload sends the file as composed from its dirty ranges, the
 *   unchanged ranges of the old object (copied server-side) and holes (upload.ts); a new file
 *   written from its start is sent in parts while it grows (streaming.ts).
 * - Failures are retried with back-off; work a failure retrying does not fix stops and waits
 *   for retryUploads() (backoff.ts). Rows left by a crash are uploaded after a restart (recovery.ts).
 * - Reads fetch missing ranges in aligned chunks and keep them; sequential readers get chunks
 *   fetched ahead in parallel (fetch.ts, recent-chunks.ts).
 * - Local bytes are bounded by `maxBytes` and the disk's free-space floor: clean segments are
 *   evicted; when only unsent bytes are left, writers wait for uploads (eviction.ts).
 * - Status and events for the desktop (status-events.ts).
 */
export class RemoteCache extends EventEmitter<RemoteCacheEvents> {
  private readonly ctx: CacheContext;
  private readonly parking: Parking;
  private readonly recent: RecentChunks;
  private readonly queue: UploadQueue;
  private readonly room: Room;
  private readonly reader: ReadCache;
  private readonly streamer: Streamer;
  private readonly uploader: Uploader;
  private readonly idleTimer: NodeJS.Timeout;

  private constructor(options: RemoteCacheOptions, journal: Journal, segments: Segments) {
    super();
    const events = new StatusEvents(this, options.backend.description, options.logger, () => this.status());
    const ctx = (this.ctx = new CacheContext(options, journal, segments, events));
    this.parking = new Parking(ctx.remote, options.logger, events, () => this.retryUploads());
    this.recent = new RecentChunks(options.readAheadChunks);
    // The queue runs the uploader, which orders its keys through the queue: the queue gets closures.
    this.queue = new UploadQueue(ctx, this.parking, {
      uploadFile: (file) => this.uploader.upload(file),
      jobEnded: () => this.room.wake(),
    });
    this.room = new Room(ctx, this.recent, this.parking, { running: () => this.queue.running, hurry: () => this.hurry() });
    this.reader = new ReadCache(ctx, this.recent, this.room);
    const resolve = (file: CachedFile) => this.reader.resolve(file);
    this.streamer = new Streamer(ctx, resolve);
    this.uploader = new Uploader(ctx, this.parking, this.queue, this.streamer, resolve, () => this.room.wake());
    this.idleTimer = setInterval(() => this.uploadIdle(), Math.min(IDLE_CHECK_MS, options.uploadAfterMs));
    this.idleTimer.unref();
  }

  /** Opens the cache and queues whatever the journal says is still owed to the remote store. */
  static async open(options: RemoteCacheOptions): Promise<RemoteCache> {
    await fs.promises.mkdir(options.dir, { recursive: true });
    const journal = new Journal(path.join(options.dir, "journal.sqlite"));
    try {
      const dataDir = path.join(options.dir, "data");
      const segments = new Segments(await LocalFiles.open({ root: dataDir, maxOpenFiles: 64 }), () => journal.settleRemovals());
      const cache = new RemoteCache(options, journal, segments);
      await resume(cache.ctx, cache.queue, dataDir);
      return cache;
    } catch (err) {
      journal.close();
      throw err;
    }
  }

  get remote(): string {
    return this.ctx.remote;
  }

  status(): RemoteCacheStatus {
    const { ctx, parking, room } = this;
    let pendingFiles = this.queue.keyWork.size;
    for (const file of ctx.files.values()) if (file.journaled || file.uploading) pendingFiles++;
    return {
      remote: this.remote,
      pendingFiles,
      pendingBytes: ctx.dirtyBytes,
      uploads: [...ctx.uploads].map((upload) => ({ ...upload })),
      cacheBytes: ctx.localBytes,
      cacheLimit: ctx.options.maxBytes,
      throttled: room.throttled,
      full: room.fullReason,
      stalled: parking.size === 0 ? null : { files: parking.size, reason: parking.lastReason! },
      lastError: ctx.events.lastError,
    };
  }

  read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    return this.ctx.holding(id, (file) => this.reader.read(file, offset, length, into));
  }

  write(id: string, offset: number, data: Buffer): Promise<void> {
    return this.room.reserve(data.length, () => this.ctx.holding(id, (file) => this.ctx.locks.run([id], () => this.writeLocked(file, offset, data))));
  }

  private async writeLocked(file: CachedFile, offset: number, data: Buffer): Promise<void> {
    const { ctx } = this;
    ctx.checkOpen();
    if (file.deleted) return;
    const end = offset + data.length;
    this.recent.release(file);
    await ctx.segments.write(file.id, offset, data);
    // After the write: a part sent meanwhile (from a part finishing) may have read the old bytes.
    if (file.streaming && offset < file.streaming.through) void this.streamer.end(file);
    ctx.addPresent(file, offset, end);
    ctx.addDirty(file, offset, end);
    file.sinceSnapshot?.dirty.add(offset, end);
    file.size = Math.max(file.size, end);
    ctx.changed(file);
    this.streamer.streamAhead(file);
  }

  truncate(id: string, size: number): Promise<void> {
    return this.ctx.holding(id, (file) => this.ctx.locks.run([id], () => this.truncateLocked(file, size)));
  }

  private async truncateLocked(file: CachedFile, size: number): Promise<void> {
    const { ctx } = this;
    ctx.checkOpen();
    if (file.deleted) return;
    this.recent.release(file);
    const oldEnd = file.localEnd;
    if (size < oldEnd) await ctx.segments.truncate(file.id, size, oldEnd);
    ctx.localBytes -= file.present.total;
    file.present.clip(size);
    ctx.localBytes += file.present.total;
    ctx.dirtyBytes -= file.dirty.total;
    file.dirty.clip(size);
    ctx.dirtyBytes += file.dirty.total;
    file.baseCap = Math.min(file.baseCap, size);
    if (file.sinceSnapshot) {
      file.sinceSnapshot.dirty.clip(size);
      file.sinceSnapshot.cap = Math.min(file.sinceSnapshot.cap, size);
    }
    if (!file.known) file.truncated = true;
    file.size = size;
    // Parts sent from beyond the new end (also while the truncate ran) are worthless now.
    if (file.streaming && size < file.streaming.through) void this.streamer.end(file);
    ctx.changed(file);
    // SETATTR is synchronous: a journaled file must not come back at its old size after a crash.
    if (file.journaled) ctx.persist(file);
  }

  size(id: string): Promise<number> {
    return this.ctx.holding(id, async (file) => {
      if (!file.known) await this.reader.resolve(file);
      return file.size;
    });
  }

  /** Makes every change of `id` durable on local disk and queues its upload. */
  async sync(id: string): Promise<void> {
    const file = this.ctx.files.get(id);
    if (!file) return;
    const queue = await this.ctx.locks.run([id], async () => {
      this.ctx.checkOpen();
      return this.syncLocked(file);
    });
    if (queue) this.queue.enqueue(id);
  }

  /** A new file with no object yet: it gets one (empty, unless written) at its next sync or when idle. */
  track(id: string): void {
    const file = this.ctx.fileFor(id);
    if (file.known || file.seq > 0) return;
    file.remoteSize = null;
    this.ctx.changed(file);
  }

  /**
   * What a listing says about the object of `id` (bucket layout). A file with local changes keeps
   * them; otherwise cached bytes from an older object are dropped.
   */
  async adopt(id: string, size: number, etag: string): Promise<void> {
    const file = this.ctx.files.get(id);
    // Nothing cached: the first use asks S3 (one HEAD), so a listing of 100,000 objects holds no state here.
    if (!file || file.etag === etag) return;
    await this.reader.replaced(file, size, etag);
  }

  /**
   * The mode, owner or mtime of `id` changed (bucket layout): they reach the object's metadata
   * with the upload of its pending changes, or, for a file with none, by a copy of the object
   * onto itself.
   */
  metadataChanged(id: string): void {
    const file = this.ctx.fileFor(id);
    file.metadataSeq++;
    if (!this.ctx.hasLocalWork(file)) this.queue.enqueue(id);
  }

  /** A failure the store met outside the cache (its check at start): shown in the status until something succeeds. */
  noteFailure(err: unknown, what: string): void {
    this.ctx.events.failed(err, what);
  }

  /** The remote store answered the store's own check: any failure shown is over. */
  noteSuccess(): void {
    this.ctx.events.succeeded();
  }

  /**
   * Runs again the work a permanent failure stopped (after new credentials, say). Returns how
   * many files and deletes were queued.
   */
  retryUploads(): number {
    const ids = this.parking.releaseAll();
    for (const id of ids) if (this.queue.keyWork.has(id) || this.ctx.files.has(id)) this.queue.enqueue(id);
    if (ids.length > 0) this.ctx.events.statusChanged();
    return ids.length;
  }

  /** Whether `id` has changes (to its bytes or its metadata) or a delete not yet in the remote store. */
  pending(id: string): boolean {
    const file = this.ctx.files.get(id);
    return this.queue.keyWork.has(id) || (file !== undefined && (this.ctx.hasLocalWork(file) || file.metadataSeq > file.metadataSentSeq));
  }

  /** The keys whose objects are owed a delete (files removed here whose delete has not landed yet). */
  keysBeingDeleted(): Set<string> {
    const keys = new Set<string>();
    for (const work of this.queue.keyWork.values()) if (work.action === "delete") keys.add(work.key);
    return keys;
  }

  /** Queues whatever `id` needs: an upload of local changes, or a move of its object (bucket layout). */
  reconcile(id: string): void {
    this.queue.reconcile(id);
  }

  /** Resolves once everything written to `id` before the call is in the remote store. */
  waitRemote(id: string): Promise<void> {
    return this.uploader.waitRemote(id);
  }

  /** Drops the local copy and queues the delete of its object (by default where the locator says it is). */
  async delete(id: string, key: string | null = this.ctx.options.locator.current(id) ?? this.ctx.options.locator.target(id)): Promise<void> {
    const { ctx } = this;
    await ctx.locks.run([id], async () => {
      ctx.checkOpen();
      const file = ctx.files.get(id);
      if (file) await this.dropLocal(file);
      if (key === null || (file && file.remoteSize === null && !file.uploading)) {
        // Never reached the remote store: nothing to delete there.
        if (file?.journaled) ctx.journal.remove(id);
        return;
      }
      // The object last seen there is the one to delete: a newer one at the key stays.
      const etag = file?.etag && key === ctx.options.locator.current(id) ? file.etag : undefined;
      this.queue.owe(id, { action: "delete", key, ...(etag ? { etag } : {}) });
    });
    this.queue.enqueue(id);
  }

  /**
   * Queues the creation of an empty object at `key` (a directory marker), durably: it is made
   * once the remote store answers, also after a restart. A later delete under the same id wins.
   */
  putMarker(id: string, key: string): void {
    this.ctx.checkOpen();
    this.queue.owe(id, { action: "marker", key });
    this.queue.enqueue(id);
  }

  /** Drops what is cached of `id` and any change not uploaded, leaving its object alone (it is gone already). */
  async forget(id: string): Promise<void> {
    await this.ctx.locks.run([id], async () => {
      const file = this.ctx.files.get(id);
      if (!file) return;
      await this.dropLocal(file);
      if (file.journaled) this.ctx.journal.remove(id);
    });
  }

  /** Syncs every change and waits until nothing is owed to the remote store (tests, benchmarks). */
  async drain(): Promise<void> {
    for (const id of [...this.ctx.unsynced]) await this.sync(id);
    await this.queue.drained();
  }

  /**
   * Stops: unsynced changes are synced and journaled (a clean shutdown loses nothing), uploads in
   * flight are aborted and resume at the next open.
   */
  async close(): Promise<void> {
    const { ctx } = this;
    if (ctx.closed) return;
    for (const id of [...ctx.unsynced]) {
      const file = ctx.files.get(id);
      if (file) await ctx.locks.run([id], () => this.syncLocked(file));
    }
    ctx.closed = true;
    clearInterval(this.idleTimer);
    this.parking.close();
    ctx.events.stop();
    const streams: Array<Promise<void>> = [];
    for (const file of ctx.files.values()) {
      file.uploading?.abort();
      if (file.streaming) streams.push(this.streamer.end(file));
    }
    await Promise.allSettled(streams);
    this.room.wake();
    await this.queue.settled();
    ctx.journal.close();
    await ctx.segments.close();
  }

  /** Under the file's lock: its local bytes and state go, uploads in flight are aborted. */
  private async dropLocal(file: CachedFile): Promise<void> {
    const { ctx } = this;
    file.deleted = true;
    file.uploading?.abort();
    this.recent.release(file);
    if (file.streaming) void this.streamer.end(file);
    await ctx.segments.dropAll(file.id, file.localEnd);
    ctx.localBytes -= file.present.total;
    ctx.dirtyBytes -= file.dirty.total;
    if (ctx.files.get(file.id) === file) ctx.files.delete(file.id);
    ctx.unsynced.delete(file.id);
    this.uploader.settleWaiters(file.id, Infinity);
  }

  /** Under the file's lock: fsync, journal; true when an upload should be queued. */
  private async syncLocked(file: CachedFile): Promise<boolean> {
    const { ctx } = this;
    ctx.unsynced.delete(file.id);
    if (file.deleted) return false;
    if (!file.needsUpload) {
      // The changes cancelled out (say, a truncate to the same size): nothing is owed.
      if (!file.uploading) file.uploadedSeq = file.seq;
      return false;
    }
    // Nothing changed since the last sync (a close's COMMIT after an fsync's): its journal row stands.
    if (file.journaled && file.syncedSeq === file.seq) return true;
    await ctx.segments.sync(file.id, file.dirty.list());
    file.syncedSeq = file.seq;
    ctx.persist(file);
    return true;
  }

  /** The cache is full of bytes not uploaded: everything unsynced is synced and every journaled file queued. */
  private async hurry(): Promise<void> {
    for (const id of [...this.ctx.unsynced]) await this.sync(id);
    for (const file of this.ctx.files.values()) {
      if (file.journaled && !this.queue.isRunning(file.id) && !this.parking.has(file.id)) this.queue.enqueue(file.id);
    }
  }

  /** Uploads changes nobody committed once they are uploadAfterMs old. */
  private uploadIdle(): void {
    const now = Date.now();
    for (const id of this.ctx.unsynced) {
      const file = this.ctx.files.get(id);
      if (!file) {
        this.ctx.unsynced.delete(id);
        continue;
      }
      if (now - file.changedAt >= this.ctx.options.uploadAfterMs) {
        this.sync(id).catch((err: unknown) => this.ctx.logger.error({ err, id }, "syncing an idle file failed"));
      }
    }
  }
}
