import { EventEmitter, setMaxListeners } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { FsError, fsError } from "../../../../errors.js";
import { BufferPool } from "../../../../cache/buffer-pool.js";
import { KeyedMutex } from "../../../../util/keyed-mutex.js";
import { LocalFiles } from "../../../../util/local-files.js";
import type { Logger } from "../../../../util/logger.js";
import { isRemoteError, type ObjectBackend, type PartialUpload, type RemoteObject, type UploadSource } from "./backend.js";
import { Journal, type PendingDelete, type PendingMarker, type PendingUpload } from "./journal.js";
import { RangeSet } from "./range-set.js";
import { SEGMENT_SIZE, Segments, segmentStem, stemOfSegmentFile } from "./segments.js";
import type { RemoteCacheEvents, RemoteCacheStatus, RemoteFailure, UploadInFlight } from "../../../remote-status.js";

export interface RemoteCacheOptions {
  /** Directory of the journal and the local copies; created when missing. */
  dir: string;
  backend: ObjectBackend;
  locator: ObjectLocator;
  /** Bytes the local copies may take before clean ones are evicted and writers wait. */
  maxBytes: number;
  /** Free space to leave on the cache's disk. */
  minFreeBytes: number;
  /** Files uploaded at once. */
  uploadConcurrency: number;
  /** Changes nobody committed are uploaded once they are this old. */
  uploadAfterMs: number;
  /** How long waitRemote() waits for an upload before it fails. */
  remoteTimeoutMs: number;
  /**
   * How long a writer waits for room in a cache full of changes not yet uploaded before it is
   * told to try again later (FsError "TryLater": NFS3ERR_JUKEBOX, which clients retry).
   */
  fullWaitMs: number;
  /** Chunks fetched ahead of a sequential reader. */
  readAheadChunks: number;
  /**
   * Cached bytes of a file read again after this long are checked against the object's ETag
   * first (another server or tool may have rewritten it), like NFS clients' attribute cache.
   */
  revalidateAfterMs: number;
  logger: Logger;
}

/**
 * Where each file's object lives. The opaque layout keys objects by content id; the bucket
 * layout by path, so a rename moves the object: `target` changes at once, `current` once the
 * object was copied there.
 */
export interface ObjectLocator {
  /** Where the object of `id` belongs (uploads go there); null for an id nobody knows any more. */
  target(id: string): string | null;
  /** Where the object of `id` is now (reads and copies come from there); null when it has none. */
  current(id: string): string | null;
  /** User metadata to store with an upload of `id` (mode, owner, mtime). */
  metadata(id: string): Promise<Record<string, string> | undefined>;
  /** The object of `id` is now at `key` with `etag` (an upload or a move finished). */
  settled(id: string, key: string, etag: string): void;
  /** HEAD showed the object of `id` (with its metadata), which another tool may have written. */
  described?(id: string, object: RemoteObject): void;
  /** Whether another file's object is at `key` or belongs there (keys are shared when paths are). */
  claimedByOther?(key: string, id: string): boolean;
  /**
   * Another file whose object is at `key` now, asked again whenever a job is about to change the
   * key; `leaving` when that object has yet to move to the file's new name (a rename not carried
   * out yet), which must happen before anything else is written at `key`.
   */
  occupant?(key: string, id: string): { id: string; leaving: boolean } | null;
}

/** The opaque layout: one object per content id, keyed by the id. */
export const BY_ID: ObjectLocator = {
  target: (id) => id,
  current: (id) => id,
  metadata: async () => undefined,
  settled: () => {},
};

/** Remote bytes are fetched in aligned chunks of this size. */
const CHUNK_SIZE = 4 * 2 ** 20;
/** Objects up to this size are uploaded from local bytes where present rather than copied remotely. */
const SMALL_OBJECT = 16 * 2 ** 20;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
/** Work stopped by a failure retrying does not fix (rejected credentials…) is tried again this often. */
const PARKED_RETRY_MS = 5 * 60_000;
/** A new file written from its start gets parts uploaded while it grows once it holds this much. */
const STREAM_FROM = 32 * 2 ** 20;
const IDLE_FETCH_BUFFERS = 4;
const STATFS_EVERY_MS = 250;
const STATUS_EVERY_MS = 250;
const IDLE_CHECK_MS = 1_000;

/** What an upload sends: the file as it was when the upload started. */
interface Snapshot {
  seq: number;
  size: number;
  dirty: RangeSet;
  baseLimit: number;
}

/**
 * Parts of a new file sent while it is still being written sequentially, so the upload at
 * COMMIT has only the tail left. Bytes below `through` are in parts sent or being sent: a
 * write there makes the parts worthless (`spoiled`), and the upload then starts afresh.
 */
interface Streaming {
  key: string;
  /** Settles once S3 has begun the multipart upload (null when it could not). */
  started: Promise<PartialUpload | null>;
  partial: PartialUpload | null;
  through: number;
  sending: Set<Promise<void>>;
  /** No more parts: a part failed (S3 may be down) or the final upload is taking over. */
  stopped: boolean;
  spoiled: boolean;
  /** The metadata the object was begun with (its mtime is unknown until the writing ends). */
  metadata: Record<string, string> | undefined;
  progress: UploadInFlight;
  controller: AbortController;
}

/** One file's local state. Positions below `baseLimit` that are not `present` live only remotely. */
class CachedFile {
  /** Logical size. */
  size = 0;
  /** Size of the remote object (null: none), undefined until asked. */
  remoteSize: number | null | undefined = undefined;
  /** ETag of the object the cached clean bytes belong to, and when that was last checked. */
  etag: string | null = null;
  checkedAt = 0;
  /** Remote bytes at or beyond this were truncated away. */
  baseCap = Infinity;
  /** A truncate fixed `size` while the remote size was unknown. */
  truncated = false;
  /** Bytes held in the segment files. */
  present = new RangeSet();
  /** Bytes not yet remote (a subset of present). */
  dirty = new RangeSet();
  /** Counts changes; an upload records the count it sent. */
  seq = 0;
  /** Counts changes to the object's metadata (mode, owner, mtime); uploads and copies record what they sent. */
  metadataSeq = 0;
  metadataSentSeq = 0;
  syncedSeq = 0;
  uploadedSeq = 0;
  /** Changes made while an upload is in flight, which it does not carry. */
  sinceSnapshot: { dirty: RangeSet; cap: number } | null = null;
  uploading: AbortController | null = null;
  streaming: Streaming | null = null;
  journaled = false;
  deleted = false;
  /** Times in a row its upload found another file's object still on its key. */
  blockedTries = 0;
  /** Operations holding this object right now; only an unheld file may leave the map. */
  holders = 0;
  readers = 0;
  changedAt = 0;
  /** Where a sequential reader is expected next. */
  nextRead = -1;
  readonly fetching = new Map<number, Promise<void>>();
  /** Chunks just fetched, still in memory: a reader copies from here instead of reading the segment back. */
  readonly recent = new Map<number, { buffer: Buffer; length: number }>();
  resolving: Promise<void> | null = null;
  revalidating: Promise<void> | null = null;

  constructor(readonly id: string) {}

  get known(): boolean {
    return this.remoteSize !== undefined;
  }

  get baseLimit(): number {
    return Math.min(this.baseCap, this.remoteSize ?? 0);
  }

  /** Local state differs from the remote object. */
  get needsUpload(): boolean {
    return !this.known || !this.dirty.isEmpty || this.remoteSize !== this.size;
  }
}

/**
 * The per-store disk cache in front of a remote object store (./backend.ts):
 *
 * - Writes land in local segment files; sync() fsyncs them and writes a journal row, which is
 *   the durability point of COMMIT, and queues the upload. Uploads run in the background,
 *   `uploadConcurrency` files at a time, and retry with backoff until they succeed; rows left
 *   by a crash are uploaded after a restart. Changes nobody commits go out after `uploadAfterMs`.
 * - An upload sends the file as composed from its dirty ranges (local bytes), the unchanged
 *   ranges of the old object (copied server-side where the backend can) and holes (zeros).
 * - Reads fetch missing ranges in aligned chunks and keep them; sequential readers get chunks
 *   fetched ahead in parallel.
 * - Local bytes are bounded by `maxBytes` and the disk's free-space floor: clean segments are
 *   evicted in least-recently-used order; when only unsent bytes are left, writers wait for
 *   uploads (they slow down, they never fail for lack of room).
 */
export class RemoteCache extends EventEmitter<RemoteCacheEvents> {
  /** Least recently used first. */
  private readonly files = new Map<string, CachedFile>();
  private readonly locks = new KeyedMutex();
  /** Deletes and directory markers owed to the remote store, by id. */
  private readonly keyWork = new Map<string, PendingDelete | PendingMarker>();
  /** Remote changes to one key run one at a time, each checking first that the key is still its to change. */
  private readonly keyLocks = new KeyedMutex();
  /** Jobs waiting for another file's object to leave their key, by that file's id. */
  private readonly waiters = new Map<string, Set<string>>();
  /**
   * Work stopped by a failure retrying does not fix (credentials rejected, access denied, clock
   * skew), by id, with why. It stays journaled and runs again after retryUploads(), every
   * PARKED_RETRY_MS, at its next sync, and at the next start.
   */
  private readonly parked = new Map<string, string>();
  private readonly queue = new Set<string>();
  private readonly busy = new Map<string, Promise<void>>();
  /** Files with changes not synced yet (uploaded once idle for uploadAfterMs). */
  private readonly unsynced = new Set<string>();
  private readonly uploads = new Set<UploadInFlight>();
  /** One chunk each, for GETs and the chunks held for readers. */
  private readonly fetchBuffers: BufferPool;
  /** Files with fetched chunks held in memory (CachedFile.recent), oldest first. */
  private readonly recentChunks: Array<{ file: CachedFile; chunk: number }> = [];
  private readonly remoteWaiters = new Map<string, Array<{ seq: number; done: () => void }>>();
  private roomWaiters: Array<() => void> = [];
  private localBytes = 0;
  /** Bytes writers were let in for and are still writing. */
  private reservedBytes = 0;
  private dirtyBytes = 0;
  private throttled = false;
  private lastError: RemoteFailure | null = null;
  private diskFree = { bytes: Infinity, at: 0 };
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly parkedTimer: NodeJS.Timeout;
  /** Why writers were last told to try again later (the cache full and uploads stuck); null once there is room. */
  private fullReason: string | null = null;
  private closed = false;

  private constructor(
    private readonly options: RemoteCacheOptions,
    private readonly journal: Journal,
    private readonly segments: Segments,
  ) {
    super();
    // A few idle chunks are kept for the next reader; the rest go back to the system.
    this.fetchBuffers = new BufferPool(CHUNK_SIZE, IDLE_FETCH_BUFFERS);
    this.idleTimer = setInterval(() => this.uploadIdle(), Math.min(IDLE_CHECK_MS, options.uploadAfterMs));
    this.idleTimer.unref();
    this.parkedTimer = setInterval(() => {
      if (this.parked.size > 0) this.retryUploads();
    }, PARKED_RETRY_MS);
    this.parkedTimer.unref();
  }

  /** Opens the cache and queues whatever the journal says is still owed to the remote store. */
  static async open(options: RemoteCacheOptions): Promise<RemoteCache> {
    await fs.promises.mkdir(options.dir, { recursive: true });
    const journal = new Journal(path.join(options.dir, "journal.sqlite"));
    try {
      const dataDir = path.join(options.dir, "data");
      const segments = new Segments(await LocalFiles.open({ root: dataDir, maxOpenFiles: 64 }));
      const cache = new RemoteCache(options, journal, segments);
      await cache.resume(dataDir);
      return cache;
    } catch (err) {
      journal.close();
      throw err;
    }
  }

  get remote(): string {
    return this.options.backend.description;
  }

  status(): RemoteCacheStatus {
    let pendingFiles = this.keyWork.size;
    for (const file of this.files.values()) if (file.journaled || file.uploading) pendingFiles++;
    return {
      remote: this.remote,
      pendingFiles,
      pendingBytes: this.dirtyBytes,
      uploads: [...this.uploads].map((upload) => ({ ...upload })),
      cacheBytes: this.localBytes,
      cacheLimit: this.options.maxBytes,
      throttled: this.throttled,
      full: this.fullReason,
      stalled: this.parked.size === 0 ? null : { files: this.parked.size, reason: [...this.parked.values()].at(-1)! },
      lastError: this.lastError,
    };
  }

  read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    return this.holding(id, (file) => this.readFile(file, offset, length, into));
  }

  private async readFile(file: CachedFile, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    file.readers++;
    try {
      if (!file.known) await this.resolve(file);
      else if (Date.now() - file.checkedAt > this.options.revalidateAfterMs && !this.hasLocalWork(file)) await this.revalidate(file);
      const end = Math.min(offset + length, file.size);
      const count = Math.max(0, end - offset);
      const result = into ? into.subarray(0, count) : Buffer.allocUnsafe(count);
      if (count === 0) return result;
      const remoteEnd = Math.min(end, file.baseLimit);
      if (offset < remoteEnd && !file.present.covers(offset, remoteEnd)) await this.fetch(file, offset, remoteEnd);
      this.readAhead(file, offset, end);
      let at = offset;
      for (const part of file.present.within(offset, end)) {
        if (part.start > at) result.fill(0, at - offset, part.start - offset);
        await this.readPresent(file, part.start, result.subarray(part.start - offset, part.end - offset));
        at = part.end;
      }
      // Beyond the remote bytes and never written: a hole.
      if (at < end) result.fill(0, at - offset, end - offset);
      return result;
    } finally {
      file.readers--;
    }
  }

  /** Local bytes from `start` into `into`: from a chunk still in memory where there is one, else the segment. */
  private async readPresent(file: CachedFile, start: number, into: Buffer): Promise<void> {
    const end = start + into.length;
    for (let at = start; at < end; ) {
      const chunk = Math.floor(at / CHUNK_SIZE);
      const chunkStart = chunk * CHUNK_SIZE;
      const until = Math.min(end, chunkStart + CHUNK_SIZE);
      const held = file.recent.get(chunk);
      if (held && until - chunkStart <= held.length) {
        held.buffer.copy(into, at - start, at - chunkStart, until - chunkStart);
        // A sequential reader is past this chunk: its buffer can serve the next fetch.
        if (until === chunkStart + held.length) this.releaseRecent(file, chunk);
      } else {
        await this.segments.read(file.id, at, into.subarray(at - start, until - start));
      }
      at = until;
    }
  }

  async write(id: string, offset: number, data: Buffer): Promise<void> {
    await this.makeRoom(data.length);
    this.reservedBytes += data.length;
    try {
      await this.holding(id, (file) => this.locks.run([id], () => this.writeLocked(file, offset, data)));
    } finally {
      this.reservedBytes -= data.length;
    }
  }

  private async writeLocked(file: CachedFile, offset: number, data: Buffer): Promise<void> {
    this.checkOpen();
    if (file.deleted) return;
    const end = offset + data.length;
    this.releaseRecent(file);
    await this.segments.write(file.id, offset, data);
    // After the write: a part sent meanwhile (from a part finishing) may have read the old bytes.
    if (file.streaming && offset < file.streaming.through) void this.endStreaming(file);
    this.addPresent(file, offset, end);
    this.addDirty(file, offset, end);
    file.sinceSnapshot?.dirty.add(offset, end);
    file.size = Math.max(file.size, end);
    this.changed(file);
    this.streamAhead(file);
  }

  truncate(id: string, size: number): Promise<void> {
    return this.holding(id, (file) => this.locks.run([id], () => this.truncateLocked(file, size)));
  }

  private async truncateLocked(file: CachedFile, size: number): Promise<void> {
    this.checkOpen();
    if (file.deleted) return;
    this.releaseRecent(file);
    const oldEnd = Math.max(file.size, lastEnd(file.present));
    if (size < oldEnd) await this.segments.truncate(file.id, size, oldEnd);
    this.localBytes -= file.present.total;
    file.present.clip(size);
    this.localBytes += file.present.total;
    this.dirtyBytes -= file.dirty.total;
    file.dirty.clip(size);
    this.dirtyBytes += file.dirty.total;
    file.baseCap = Math.min(file.baseCap, size);
    if (file.sinceSnapshot) {
      file.sinceSnapshot.dirty.clip(size);
      file.sinceSnapshot.cap = Math.min(file.sinceSnapshot.cap, size);
    }
    if (!file.known) file.truncated = true;
    file.size = size;
    // Parts sent from beyond the new end (also while the truncate ran) are worthless now.
    if (file.streaming && size < file.streaming.through) void this.endStreaming(file);
    this.changed(file);
    // SETATTR is synchronous: a journaled file must not come back at its old size after a crash.
    if (file.journaled) this.persist(file);
  }

  size(id: string): Promise<number> {
    return this.holding(id, async (file) => {
      if (!file.known) await this.resolve(file);
      return file.size;
    });
  }

  /** Makes every change of `id` durable on local disk and queues its upload. */
  async sync(id: string): Promise<void> {
    const file = this.files.get(id);
    if (!file) return;
    const queue = await this.locks.run([id], async () => {
      this.checkOpen();
      return this.syncLocked(file);
    });
    if (queue) this.enqueue(id);
  }

  /** A new file with no object yet: it gets one (empty, unless written) at its next sync or when idle. */
  track(id: string): void {
    const file = this.fileFor(id);
    if (file.known || file.seq > 0) return;
    file.remoteSize = null;
    this.changed(file);
  }

  /**
   * What a listing says about the object of `id` (bucket layout). A file with local changes keeps
   * them; otherwise cached bytes from an older object are dropped.
   */
  async adopt(id: string, size: number, etag: string): Promise<void> {
    const file = this.files.get(id);
    // Nothing cached: the first use asks S3 (one HEAD), so a listing of 100,000 objects holds no state here.
    if (!file || file.etag === etag) return;
    await this.replaced(file, size, etag);
  }

  /**
   * The mode, owner or mtime of `id` changed (bucket layout): they reach the object's metadata
   * with the upload of its pending changes, or, for a file with none, by a copy of the object
   * onto itself.
   */
  metadataChanged(id: string): void {
    const file = this.fileFor(id);
    file.metadataSeq++;
    if (!this.hasLocalWork(file)) this.enqueue(id);
  }

  /** A failure the store met outside the cache (its check at start): shown in the status until something succeeds. */
  noteFailure(err: unknown, what: string): void {
    this.failed(err, what);
  }

  /** The remote store answered the store's own check: any failure shown is over. */
  noteSuccess(): void {
    this.succeeded();
  }

  /**
   * Runs again the work a permanent failure stopped (after new credentials, say). Returns how
   * many files and deletes were queued.
   */
  retryUploads(): number {
    const ids = [...this.parked.keys()];
    this.parked.clear();
    for (const id of ids) if (this.keyWork.has(id) || this.files.has(id)) this.enqueue(id);
    if (ids.length > 0) this.statusChanged();
    return ids.length;
  }

  /** Whether `id` has changes (to its bytes or its metadata) or a delete not yet in the remote store. */
  pending(id: string): boolean {
    const file = this.files.get(id);
    return this.keyWork.has(id) || (file !== undefined && (this.hasLocalWork(file) || file.metadataSeq > file.metadataSentSeq));
  }

  /** Queues whatever `id` needs: an upload of local changes, or a move of its object (bucket layout). */
  reconcile(id: string): void {
    this.fileFor(id);
    this.enqueue(id);
  }

  /** Resolves once everything written to `id` before the call is in the remote store. */
  async waitRemote(id: string): Promise<void> {
    const file = this.files.get(id);
    if (!file || (!file.needsUpload && !file.uploading)) return;
    const seq = file.seq;
    if (file.uploadedSeq >= seq) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const reason = this.lastError ? `: ${this.lastError.message}` : "";
        reject(fsError("Io", `changes to ${this.options.locator.target(id) ?? id} did not reach ${this.remote} within ${this.options.remoteTimeoutMs / 1000}s${reason}`));
      }, this.options.remoteTimeoutMs);
      const waiters = this.remoteWaiters.get(id) ?? [];
      waiters.push({
        seq,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      this.remoteWaiters.set(id, waiters);
    });
  }

  /** Drops the local copy and queues the delete of its object (by default where the locator says it is). */
  async delete(id: string, key: string | null = this.options.locator.current(id) ?? this.options.locator.target(id)): Promise<void> {
    await this.locks.run([id], async () => {
      this.checkOpen();
      const file = this.files.get(id);
      if (file) await this.dropLocal(file);
      if (key === null || (file && file.remoteSize === null && !file.uploading)) {
        // Never reached the remote store: nothing to delete there.
        if (file?.journaled) this.journal.remove(id);
        return;
      }
      // The object last seen there is the one to delete: a newer one at the key stays.
      const etag = file?.etag && key === this.options.locator.current(id) ? file.etag : undefined;
      this.owe(id, { action: "delete", key, ...(etag ? { etag } : {}) });
    });
    this.enqueue(id);
  }

  /**
   * Queues the creation of an empty object at `key` (a directory marker), durably: it is made
   * once the remote store answers, also after a restart. A later delete under the same id wins.
   */
  putMarker(id: string, key: string): void {
    this.checkOpen();
    this.owe(id, { action: "marker", key });
    this.enqueue(id);
  }

  private owe(id: string, work: PendingDelete | PendingMarker): void {
    this.journal.put(id, work);
    this.keyWork.set(id, work);
  }

  /** Drops what is cached of `id` and any change not uploaded, leaving its object alone (it is gone already). */
  async forget(id: string): Promise<void> {
    await this.locks.run([id], async () => {
      const file = this.files.get(id);
      if (!file) return;
      await this.dropLocal(file);
      if (file.journaled) this.journal.remove(id);
    });
  }

  /** Syncs every change and waits until nothing is owed to the remote store (tests, benchmarks). */
  async drain(): Promise<void> {
    for (const id of [...this.unsynced]) await this.sync(id);
    // A job waiting for another file's object to leave its key is owed work too.
    while (this.queue.size > 0 || this.busy.size > 0 || this.waiters.size > 0) {
      await Promise.race([...this.busy.values(), sleep(50)]);
    }
  }

  /**
   * Stops: unsynced changes are synced and journaled (a clean shutdown loses nothing), uploads in
   * flight are aborted and resume at the next open.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const id of [...this.unsynced]) {
      const file = this.files.get(id);
      if (file) await this.locks.run([id], () => this.syncLocked(file));
    }
    this.closed = true;
    clearInterval(this.idleTimer);
    clearInterval(this.parkedTimer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    const streams: Array<Promise<void>> = [];
    for (const file of this.files.values()) {
      file.uploading?.abort();
      if (file.streaming) streams.push(this.endStreaming(file));
    }
    await Promise.allSettled(streams);
    for (const wake of this.roomWaiters.splice(0)) wake();
    await Promise.allSettled(this.busy.values());
    this.journal.close();
    await this.segments.close();
  }

  // ---- state ----

  /** Under the file's lock: its local bytes and state go, uploads in flight are aborted. */
  private async dropLocal(file: CachedFile): Promise<void> {
    file.deleted = true;
    file.uploading?.abort();
    this.releaseRecent(file);
    if (file.streaming) void this.endStreaming(file);
    await this.segments.dropAll(file.id, Math.max(file.size, lastEnd(file.present)));
    this.localBytes -= file.present.total;
    this.dirtyBytes -= file.dirty.total;
    if (this.files.get(file.id) === file) this.files.delete(file.id);
    this.unsynced.delete(file.id);
    this.settleWaiters(file.id, Infinity);
  }

  private hasLocalWork(file: CachedFile): boolean {
    return file.journaled || file.uploading !== null || file.seq > file.uploadedSeq;
  }

  /** Runs `body` with the file's state, which stays in the map (and so the one true state) meanwhile. */
  private async holding<T>(id: string, body: (file: CachedFile) => Promise<T>): Promise<T> {
    const file = this.fileFor(id);
    file.holders++;
    try {
      return await body(file);
    } finally {
      file.holders--;
    }
  }

  private fileFor(id: string): CachedFile {
    this.checkOpen();
    let file = this.files.get(id);
    if (file) this.files.delete(id);
    else file = new CachedFile(id);
    // Most recently used last.
    this.files.set(id, file);
    return file;
  }

  /** Asks the remote store for the object's size (once per file). */
  private resolve(file: CachedFile): Promise<void> {
    file.resolving ??= (async () => {
      const key = this.options.locator.current(file.id);
      try {
        const object = key === null ? null : await this.options.backend.head(key);
        this.succeeded();
        file.remoteSize = object?.size ?? null;
        file.etag = object?.etag ?? null;
        file.checkedAt = Date.now();
        if (!file.truncated) file.size = Math.max(file.size, object?.size ?? 0);
        if (object) this.options.locator.described?.(file.id, object);
      } catch (err) {
        throw this.failed(err, `looking up ${key}`);
      } finally {
        file.resolving = null;
      }
    })();
    return file.resolving;
  }

  /**
   * Checks a clean cached file against its object: rewritten elsewhere (another server on the
   * same bucket, another tool), its cached bytes are dropped. Offline, the cached bytes are served.
   */
  private revalidate(file: CachedFile): Promise<void> {
    file.revalidating ??= (async () => {
      const key = this.options.locator.current(file.id);
      try {
        const object = key === null ? null : await this.options.backend.head(key);
        this.succeeded();
        file.checkedAt = Date.now();
        if ((object?.etag ?? null) !== file.etag) {
          await this.replaced(file, object?.size ?? null, object?.etag ?? null);
          if (object) this.options.locator.described?.(file.id, object);
        }
      } catch (err) {
        this.failed(err, `checking ${key}`);
        file.checkedAt = Date.now();
      } finally {
        file.revalidating = null;
      }
    })();
    return file.revalidating;
  }

  /** The object of a file without local changes is now another one: what is cached of the old one goes. */
  private async replaced(file: CachedFile, size: number | null, etag: string | null): Promise<void> {
    await this.locks.run([file.id], async () => {
      if (file.deleted || this.hasLocalWork(file)) return;
      this.releaseRecent(file);
      await this.segments.dropAll(file.id, Math.max(file.size, lastEnd(file.present)));
      this.localBytes -= file.present.total;
      file.present.clear();
      file.remoteSize = size;
      file.size = size ?? 0;
      file.baseCap = Infinity;
      file.truncated = false;
      file.etag = etag;
      file.checkedAt = Date.now();
      file.nextRead = -1;
    });
  }

  private changed(file: CachedFile): void {
    file.seq++;
    file.changedAt = Date.now();
    this.unsynced.add(file.id);
    this.statusChanged();
  }

  private addPresent(file: CachedFile, start: number, end: number): void {
    this.localBytes -= file.present.total;
    file.present.add(start, end);
    this.localBytes += file.present.total;
  }

  private addDirty(file: CachedFile, start: number, end: number): void {
    this.dirtyBytes -= file.dirty.total;
    file.dirty.add(start, end);
    this.dirtyBytes += file.dirty.total;
  }

  /** Under the file's lock: fsync, journal; true when an upload should be queued. */
  private async syncLocked(file: CachedFile): Promise<boolean> {
    this.unsynced.delete(file.id);
    if (file.deleted) return false;
    if (!file.needsUpload) {
      // The changes cancelled out (say, a truncate to the same size): nothing is owed.
      if (!file.uploading) file.uploadedSeq = file.seq;
      return false;
    }
    await this.segments.sync(file.id, file.dirty.list());
    file.syncedSeq = file.seq;
    this.persist(file);
    return true;
  }

  private persist(file: CachedFile): void {
    const row: PendingUpload = {
      action: "upload",
      size: file.size,
      remoteSize: file.remoteSize,
      baseCap: file.baseCap,
      truncated: file.truncated,
      dirty: file.dirty.list(),
    };
    this.journal.put(file.id, row);
    file.journaled = true;
  }

  // ---- reading ----

  private async fetch(file: CachedFile, start: number, end: number): Promise<void> {
    const chunks: Array<Promise<void>> = [];
    for (let chunk = Math.floor(start / CHUNK_SIZE); chunk * CHUNK_SIZE < end; chunk++) chunks.push(this.fetchChunk(file, chunk));
    await Promise.all(chunks);
  }

  private fetchChunk(file: CachedFile, chunk: number): Promise<void> {
    const start = chunk * CHUNK_SIZE;
    const end = Math.min(start + CHUNK_SIZE, file.baseLimit);
    if (end <= start || file.present.covers(start, end)) return Promise.resolve();
    let running = file.fetching.get(chunk);
    if (!running) {
      file.holders++;
      running = this.fetchRange(file, start, end).finally(() => {
        file.fetching.delete(chunk);
        file.holders--;
      });
      file.fetching.set(chunk, running);
    }
    return running;
  }

  private async fetchRange(file: CachedFile, start: number, end: number): Promise<void> {
    const key = this.options.locator.current(file.id);
    if (key === null) return;
    for (const gap of file.present.missing(start, end)) {
      // Pooled: a cold read of a large file would otherwise leave a chunk-sized buffer per GET to the GC.
      const buffer = this.fetchBuffers.take();
      let kept = false;
      try {
        const length = gap.end - gap.start;
        let got: number;
        try {
          got = await this.options.backend.read(key, gap.start, length, buffer);
          this.succeeded();
        } catch (err) {
          throw this.failed(err, `reading ${key}`);
        }
        await this.evictFor(got);
        await this.locks.run([file.id], async () => {
          if (file.deleted || this.closed) return;
          // Bytes written (or truncated away) while the GET was out are newer than the remote ones.
          const holes = file.present.missing(gap.start, Math.min(gap.start + got, file.baseLimit));
          for (const hole of holes) {
            await this.segments.write(file.id, hole.start, buffer.subarray(hole.start - gap.start, hole.end - gap.start));
            this.addPresent(file, hole.start, hole.end);
          }
          // A whole chunk that matches its segment stays in memory for the reader waiting for it.
          const whole = holes.length === 1 && holes[0]!.start === start && holes[0]!.end === gap.start + got && gap.start === start;
          if (whole && start % CHUNK_SIZE === 0 && got > 0) kept = this.keepRecent(file, start / CHUNK_SIZE, buffer, got);
        });
      } finally {
        if (!kept) this.fetchBuffers.give(buffer);
      }
    }
  }

  /** Holds a fetched chunk's buffer for readers; the oldest held chunk goes back to the pool. */
  private keepRecent(file: CachedFile, chunk: number, buffer: Buffer, length: number): boolean {
    if (file.recent.has(chunk)) return false;
    file.recent.set(chunk, { buffer, length });
    this.recentChunks.push({ file, chunk });
    if (this.recentChunks.length > this.options.readAheadChunks) {
      const oldest = this.recentChunks[0]!;
      this.releaseRecent(oldest.file, oldest.chunk);
    }
    return true;
  }

  /** Gives back the buffers of `file`'s held chunks (one, or all): its bytes changed or were read. */
  private releaseRecent(file: CachedFile, chunk?: number): void {
    if (file.recent.size === 0) return;
    for (const [held, { buffer }] of [...file.recent]) {
      if (chunk !== undefined && held !== chunk) continue;
      file.recent.delete(held);
      const index = this.recentChunks.findIndex((entry) => entry.file === file && entry.chunk === held);
      if (index >= 0) this.recentChunks.splice(index, 1);
      this.fetchBuffers.give(buffer);
    }
  }

  private readAhead(file: CachedFile, offset: number, end: number): void {
    const sequential = offset === file.nextRead;
    file.nextRead = end;
    if (!sequential || this.options.readAheadChunks === 0) return;
    const until = Math.min(end + this.options.readAheadChunks * CHUNK_SIZE, file.baseLimit);
    for (let chunk = Math.floor(end / CHUNK_SIZE); chunk * CHUNK_SIZE < until; chunk++) {
      this.fetchChunk(file, chunk).catch((err: unknown) => this.options.logger.debug({ err }, "read-ahead failed"));
    }
  }

  // ---- room ----

  /** Waits until `bytes` more fit in the cache: evicts clean bytes, else waits for uploads. */
  private async makeRoom(bytes: number): Promise<void> {
    const giveUpAt = Date.now() + this.options.fullWaitMs;
    for (;;) {
      this.checkOpen();
      const need = await this.shortfall(bytes);
      if (need <= 0) break;
      if ((await this.evict(need)) >= need) continue;
      // Only bytes not yet uploaded are left. With nothing to upload, waiting would not help.
      if (this.dirtyBytes === 0 && this.busy.size === 0) break;
      if (!this.throttled) {
        this.throttled = true;
        this.options.logger.warn({ remote: this.remote, cacheBytes: this.localBytes }, "disk cache full: writers wait for uploads");
        this.statusChanged();
      }
      if (Date.now() >= giveUpAt) throw this.full();
      for (const id of [...this.unsynced]) await this.sync(id);
      for (const file of this.files.values()) if (file.journaled && !this.busy.has(file.id) && !this.parked.has(file.id)) this.enqueue(file.id);
      await new Promise<void>((resolve) => {
        this.roomWaiters.push(resolve);
        setTimeout(resolve, Math.min(1_000, Math.max(0, giveUpAt - Date.now()))).unref();
      });
    }
    this.fullReason = null;
    if (this.throttled) {
      this.throttled = false;
      this.options.logger.info({ remote: this.remote }, "disk cache has room again");
      this.statusChanged();
    }
  }

  /** The cache stayed full for fullWaitMs: the writer is told to come back later, and the status says why. */
  private full(): FsError {
    const stuck = this.parked.size > 0 ? [...this.parked.values()].at(-1) : this.lastError?.message;
    this.fullReason = `the disk cache is full of changes not yet uploaded to ${this.remote}${stuck ? `, and uploads are failing: ${stuck}` : ""}`;
    this.statusChanged();
    return fsError("TryLater", `${this.fullReason}; try again later`);
  }

  /** Evicts for a fetch; a reader never waits for uploads (it may overshoot the limit a little). */
  private async evictFor(bytes: number): Promise<void> {
    const need = await this.shortfall(bytes);
    if (need > 0) await this.evict(need);
  }

  private async shortfall(bytes: number): Promise<number> {
    const overLimit = this.localBytes + this.reservedBytes + bytes - this.options.maxBytes;
    const now = Date.now();
    if (now - this.diskFree.at > STATFS_EVERY_MS) {
      const stats = await fs.promises.statfs(this.options.dir);
      this.diskFree = { bytes: stats.bavail * stats.bsize, at: now };
    }
    const underFloor = this.options.minFreeBytes - (this.diskFree.bytes - bytes);
    return Math.max(overLimit, underFloor);
  }

  /** Drops clean segments, least recently used files first; returns the bytes freed. */
  private async evict(need: number): Promise<number> {
    let freed = 0;
    for (const file of [...this.files.values()]) {
      if (freed >= need) break;
      if (file.readers > 0 || file.uploading || file.fetching.size > 0 || file.present.isEmpty) continue;
      await this.locks.run([file.id], async () => {
        this.releaseRecent(file);
        for (const segment of segmentsOf(file.present)) {
          const start = segment * SEGMENT_SIZE;
          const end = start + SEGMENT_SIZE;
          if (file.dirty.overlaps(start, end) || file.deleted) continue;
          const bytes = file.present.countWithin(start, end);
          await this.segments.drop(file.id, segment);
          this.localBytes -= bytes;
          file.present.remove(start, end);
          freed += bytes;
          if (freed >= need) break;
        }
      });
      // Forget files nobody holds that are clean and have nothing local: a later use asks S3 again.
      // (Another eviction may already have replaced this object under the same id.)
      const idle = file.holders === 0 && file.present.isEmpty && !file.needsUpload && !file.journaled;
      if (idle && this.files.get(file.id) === file) this.files.delete(file.id);
    }
    // A fresh look at the disk next time.
    if (freed > 0) this.diskFree.at = 0;
    return freed;
  }

  private wakeRoomWaiters(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  // ---- uploading ----

  private enqueue(id: string): void {
    this.queue.add(id);
    this.pump();
  }

  private pump(): void {
    if (this.closed) return;
    for (const id of this.queue) {
      if (this.busy.size >= this.options.uploadConcurrency) break;
      if (this.busy.has(id)) continue;
      this.queue.delete(id);
      const job = this.runJob(id)
        .catch((err: unknown) => this.options.logger.error({ err, id }, "upload job failed"))
        .finally(() => {
          this.busy.delete(id);
          this.wakeWaiters(id);
          this.wakeRoomWaiters();
          this.statusChanged();
          this.pump();
        });
      this.busy.set(id, job);
    }
    this.statusChanged();
  }

  /** The job of `id` ended: jobs waiting for its object to leave their key look again. */
  private wakeWaiters(id: string): void {
    const waiting = this.waiters.get(id);
    if (!waiting) return;
    this.waiters.delete(id);
    for (const waiter of waiting) this.enqueue(waiter);
  }

  /** Stops the work of `id` after a failure retrying does not fix; it stays journaled. */
  private park(id: string, reason: string): void {
    if (!this.parked.has(id)) {
      this.options.logger.error({ remote: this.remote, id }, `stopped uploading until the problem is fixed (the change is kept): ${reason}`);
    }
    this.parked.set(id, reason);
    this.statusChanged();
  }

  private async runJob(id: string): Promise<void> {
    // Run again (a new sync, a retry): no longer stopped.
    this.parked.delete(id);
    if (this.keyWork.has(id)) return this.doKeyWork(id);
    const file = this.files.get(id);
    if (!file || file.deleted) return;
    file.holders++;
    try {
      await this.upload(file);
    } finally {
      file.holders--;
    }
  }

  private async doKeyWork(id: string): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      // What is owed now: a retry after a marker was deleted again does the delete.
      const work = this.keyWork.get(id);
      if (work === undefined) return;
      try {
        // A delete queued when a file was removed runs after the jobs before it on the key, and
        // spares a newer file's object there (rm a; create a).
        await this.keyLocks.run([work.key], async () => {
          if (work.action === "delete") await this.deleteUnlessOccupied(work.key, id, work.etag);
          else await this.options.backend.upload(work.key, []);
        });
        this.succeeded();
        // Replaced meanwhile (a marker deleted again): that work is queued and keeps its row.
        if (this.keyWork.get(id) === work) {
          this.journal.remove(id);
          this.keyWork.delete(id);
        }
        return;
      } catch (err) {
        const failure = this.failed(err, work.action === "delete" ? `deleting ${work.key}` : `creating ${work.key}`);
        if (isPermanent(err)) return this.park(id, failure.message);
        await this.backoff(attempt);
      }
    }
  }

  private async upload(file: CachedFile): Promise<void> {
    const { locator } = this.options;
    for (let attempt = 0; !file.deleted && !this.closed; ) {
      const target = locator.target(file.id);
      if (target === null) {
        this.options.logger.error({ id: file.id }, "dropping changes to a file whose object key is unknown (its metadata is gone)");
        break;
      }
      const source = locator.current(file.id);
      try {
        if (!file.known) await this.resolve(file);
        const keys = source !== null && source !== target ? [target, source] : [target];
        const outcome = await this.keyLocks.run(keys, () => this.pass(file, target, source));
        if (outcome === "idle") break;
        if (outcome === "waiting") return;
        attempt = 0;
        file.blockedTries = 0;
        // Changes made meanwhile go out once committed (or idle), like any other change; a move
        // or new metadata of a file with nothing else pending goes now.
        const metadataBehind = file.metadataSeq > file.metadataSentSeq && !file.needsUpload;
        if (file.syncedSeq <= file.uploadedSeq && (locator.current(file.id) ?? target) === locator.target(file.id) && !metadataBehind) break;
      } catch (err) {
        file.sinceSnapshot = null;
        if (this.closed) return;
        if (file.deleted) {
          // An upload cut short by the delete may still have landed: it must not outlive the file.
          await this.keyLocks.run([target], () => this.deleteUnlessOccupied(target, file.id)).catch((cleanup: unknown) => {
            this.failed(cleanup, `deleting ${target}, written for a file deleted meanwhile`);
          });
          return;
        }
        if (isRemoteError(err) && err.kind === "not-found" && file.remoteSize !== null) {
          // The old object vanished under us: what it held is gone; send what is local.
          this.options.logger.warn({ key: source }, "remote object disappeared during upload; uploading the local bytes only");
          file.remoteSize = null;
          continue;
        }
        const failure = this.failed(err, `uploading ${target}`);
        if (isPermanent(err)) return this.park(file.id, failure.message);
        await this.backoff(attempt++);
      }
    }
    if (!file.deleted && !file.needsUpload && file.journaled) {
      this.journal.remove(file.id);
      file.journaled = false;
    }
  }

  /**
   * One upload or move of `file` to `target`, run under the locks of the keys it touches, so no
   * other job changes them meanwhile: the object is written, recorded where it now is, and the
   * one it replaces at its old key is deleted. "waiting": another file's object must leave the
   * target first; "idle": nothing to do.
   */
  private async pass(file: CachedFile, target: string, source: string | null): Promise<"done" | "waiting" | "idle"> {
    const { locator } = this.options;
    const copies = file.remoteSize !== null && source !== null && (source !== target || file.metadataSeq > file.metadataSentSeq);
    if (!file.needsUpload && !copies) return "idle";
    // A file renamed away whose object has not moved yet still sits at the target (an editor's
    // save: rename a to a~, write a new a): writing there now would destroy it.
    const occupant = locator.occupant?.(target, file.id);
    if (occupant?.leaving) {
      this.waitFor(occupant.id, file);
      return "waiting";
    }
    /** The object at `source`, as last seen: only that one is copied from and deleted. */
    const sourceEtag = file.etag ?? undefined;
    /** Where this pass puts the object: the target, or where its streamed parts are. */
    let key = target;
    let etag: string;
    if (file.needsUpload) {
      const streamed = await this.takeStreamed(file, target);
      // Parts streamed under the name the file had then (a temporary name renamed since, as
      // rsync and editors do) are completed there; the move follows as a server-side copy.
      key = streamed?.partial.key ?? target;
      // No await between the snapshot and send(), which starts recording later writes.
      const snapshot: Snapshot = { seq: file.seq, size: file.size, dirty: file.dirty.clone(), baseLimit: file.baseLimit };
      const sources = this.plan(file, snapshot, source);
      try {
        etag = await this.send(file, key, snapshot, sources, streamed?.partial);
      } finally {
        // Completed or aborted by the upload either way.
        if (streamed) this.forgetStream(file.id);
      }
      await this.locks.run([file.id], async () => this.uploaded(file, snapshot));
      if (streamed) etag = (await this.fixStreamedMetadata(file, key, streamed.metadata)) ?? etag;
      this.emit("uploaded", { key, bytes: snapshot.size });
    } else {
      // Renamed (bucket layout) or only its metadata changed: S3 copies the object itself.
      const metadataSeq = file.metadataSeq;
      ({ etag } = await this.options.backend.copy(source!, target, { metadata: await locator.metadata(file.id), sourceIfMatch: sourceEtag }));
      file.metadataSentSeq = metadataSeq;
      this.succeeded();
    }
    file.etag = etag;
    file.checkedAt = Date.now();
    if (file.deleted) {
      // Deleted while this ran: the delete took care of the old object, this new one is a stray.
      await this.deleteUnlessOccupied(key, file.id, etag);
      return "done";
    }
    locator.settled(file.id, key, etag);
    if (source !== null && source !== key) await this.removeOld(source, file.id, sourceEtag);
    return "done";
  }

  /**
   * `file` waits for `occupant`, whose object is still at its key: queued again when the
   * occupant's job ends, and in any case after a growing pause (the occupant may be stuck).
   */
  private waitFor(occupant: string, file: CachedFile): void {
    const waiting = this.waiters.get(occupant) ?? new Set<string>();
    waiting.add(file.id);
    this.waiters.set(occupant, waiting);
    // Asked once: an occupant with nothing to move must not be run again at every wake-up.
    if (file.blockedTries === 0 && !this.parked.has(occupant)) this.reconcile(occupant);
    if (this.waiters.get(file.id)?.has(occupant)) {
      this.options.logger.warn({ key: this.options.locator.target(file.id) }, "two files wait for each other's key (names swapped before their objects moved); retrying");
    }
    const pause = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** file.blockedTries++);
    setTimeout(() => {
      if (!this.closed) this.enqueue(file.id);
    }, pause).unref();
  }

  /** Deletes the object a file was moved away from (the new one is in place), unless it is another file's now. */
  private async removeOld(key: string, id: string, etag: string | undefined): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.deleteUnlessOccupied(key, id, etag);
        this.succeeded();
        return;
      } catch (err) {
        const failure = this.failed(err, `deleting ${key} after moving it`);
        // The move is done; the old object stays behind and the listing shows it as a file again.
        if (isPermanent(err)) return this.options.logger.error({ key }, `left ${key} behind: ${failure.message}`);
        await this.backoff(attempt);
      }
    }
  }

  /**
   * Under the key's lock: deletes the object of `id` at `key`, unless the index says another
   * file's object is there now; with `etag`, S3 itself also keeps any object but that one.
   */
  private async deleteUnlessOccupied(key: string, id: string, etag?: string): Promise<void> {
    if (this.options.locator.occupant?.(key, id)) return;
    await this.options.backend.delete(key, { ifMatch: etag });
  }

  private async send(file: CachedFile, key: string, snapshot: Snapshot, sources: UploadSource[], partial?: PartialUpload): Promise<string> {
    const progress: UploadInFlight = { key, bytes: snapshot.size, done: 0 };
    const controller = new AbortController();
    // Every part request of the upload listens to this one signal.
    setMaxListeners(0, controller.signal);
    file.uploading = controller;
    file.sinceSnapshot = { dirty: new RangeSet(), cap: Infinity };
    this.uploads.add(progress);
    this.statusChanged();
    const metadataSeq = file.metadataSeq;
    try {
      const { etag } = await this.options.backend.upload(key, sources, {
        metadata: await this.options.locator.metadata(file.id),
        signal: controller.signal,
        partial,
        onProgress: (done) => {
          progress.done = done;
          this.statusChanged();
        },
      });
      // A streamed object carries the metadata it began with; fixStreamedMetadata checks that.
      if (!partial) file.metadataSentSeq = metadataSeq;
      this.succeeded();
      return etag;
    } finally {
      this.uploads.delete(progress);
      file.uploading = null;
    }
  }

  // ---- streaming a file up while it is written ----

  /** After a write: begins or advances the streaming of a new file written from its start. */
  private streamAhead(file: CachedFile): void {
    const { backend, locator } = this.options;
    let streaming = file.streaming;
    if (!streaming) {
      if (!backend.begin || file.uploading || file.size < STREAM_FROM || !file.dirty.covers(0, STREAM_FROM)) return;
      if (file.remoteSize === undefined) {
        // Whether an object exists already is not known yet (opaque layout): one HEAD tells.
        if (!file.resolving) this.resolve(file).then(() => this.streamAhead(file), () => {});
        return;
      }
      if (file.remoteSize !== null) return;
      const key = locator.target(file.id);
      if (key === null) return;
      streaming = this.startStreaming(file, key);
    }
    const { partial } = streaming;
    if (!partial || streaming.stopped) return;
    streaming.progress.bytes = file.size;
    while (
      streaming.sending.size < partial.concurrency &&
      // The part holding the current end may still grow: it goes with the final upload.
      streaming.through + partial.partSize < file.size &&
      file.dirty.covers(streaming.through, streaming.through + partial.partSize)
    ) {
      const start = streaming.through;
      streaming.through += partial.partSize;
      const active = streaming;
      const sending: Promise<void> = partial
        .sendPart(start / partial.partSize + 1, this.segments.sources(file.id, start, start + partial.partSize), active.controller.signal)
        .then(
          () => {
            this.succeeded();
            active.progress.done = partial.bytesSent;
            this.statusChanged();
          },
          (err: unknown) => {
            // The final upload sends whatever did not go now.
            active.stopped = true;
            if (!active.controller.signal.aborted) this.failed(err, `uploading part of ${active.key}`);
          },
        )
        .finally(() => {
          active.sending.delete(sending);
          if (file.streaming === active) this.streamAhead(file);
        });
      streaming.sending.add(sending);
    }
  }

  private startStreaming(file: CachedFile, key: string): Streaming {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const streaming: Streaming = {
      key,
      started: Promise.resolve(null),
      partial: null,
      through: 0,
      sending: new Set(),
      stopped: false,
      spoiled: false,
      metadata: undefined,
      progress: { key, bytes: file.size, done: 0 },
      controller,
    };
    file.streaming = streaming;
    streaming.started = (async () => {
      try {
        // Without mtime: the writing is not over, and tools fall back to LastModified.
        const { mtime: _unknownYet, ...metadata } = (await this.options.locator.metadata(file.id)) ?? {};
        streaming.metadata = Object.keys(metadata).length > 0 ? metadata : undefined;
        const partial = await this.options.backend.begin!(key, { metadata: streaming.metadata });
        this.succeeded();
        if (file.streaming !== streaming || streaming.spoiled) {
          await partial.abort();
          return null;
        }
        streaming.partial = partial;
        // A crash before the upload completes leaves parts S3 would keep (and bill): the next start aborts them.
        this.journal.put(streamRowId(file.id), { action: "abort-upload", key, uploadId: partial.uploadId });
        this.uploads.add(streaming.progress);
        this.streamAhead(file);
        return partial;
      } catch (err) {
        streaming.stopped = true;
        this.failed(err, `beginning the upload of ${key}`);
        return null;
      }
    })();
    return streaming;
  }

  /** Streaming is over without an upload to finish it: its parts are dropped. */
  private async endStreaming(file: CachedFile): Promise<void> {
    const streaming = file.streaming;
    if (!streaming) return;
    file.streaming = null;
    streaming.spoiled = streaming.stopped = true;
    streaming.controller.abort();
    this.uploads.delete(streaming.progress);
    const partial = await streaming.started;
    await Promise.allSettled(streaming.sending);
    await partial?.abort();
    if (partial) this.forgetStream(file.id);
  }

  private forgetStream(id: string): void {
    // After close the row stays; the next start aborts the upload again, harmlessly.
    if (!this.closed) this.journal.remove(streamRowId(id));
  }

  /**
   * Before an upload: the parts streamed so far, for it to finish, when they still hold the
   * file's bytes and belong where the upload goes.
   */
  private async takeStreamed(file: CachedFile, target: string): Promise<{ partial: PartialUpload; metadata: Record<string, string> | undefined } | null> {
    const streaming = file.streaming;
    if (!streaming) return null;
    // Writes below `through` still spoil it while the parts in flight finish.
    streaming.stopped = true;
    const partial = await streaming.started;
    await Promise.allSettled(streaming.sending);
    this.uploads.delete(streaming.progress);
    if (file.streaming !== streaming) return null;
    file.streaming = null;
    if (!partial) return null;
    const elsewhere = streaming.key !== target && (this.options.locator.claimedByOther?.(streaming.key, file.id) ?? true);
    if (streaming.spoiled || elsewhere || file.remoteSize !== null) {
      await partial.abort();
      this.forgetStream(file.id);
      return null;
    }
    return { partial, metadata: streaming.metadata };
  }

  /**
   * A streamed object got the metadata of when it began; an owner or mode changed since is set
   * now (a copy onto itself). Returns the object's new ETag, or null when nothing changed.
   */
  private async fixStreamedMetadata(file: CachedFile, key: string, begunWith: Record<string, string> | undefined): Promise<string | null> {
    const metadataSeq = file.metadataSeq;
    const now = await this.options.locator.metadata(file.id);
    const { mtime: _mtime, ...rest } = now ?? {};
    if (now === undefined || JSON.stringify(rest) === JSON.stringify(begunWith ?? {})) {
      // The writes' mtimes are left to LastModified, as for any object a tool wrote without one.
      file.metadataSentSeq = metadataSeq;
      return null;
    }
    try {
      const { etag } = await this.options.backend.copy(key, key, { metadata: now });
      file.metadataSentSeq = metadataSeq;
      this.succeeded();
      return etag;
    } catch (err) {
      // The bytes are in place; the copy is retried as a metadata change, not as an upload.
      this.failed(err, `setting the metadata of ${key}`);
      return null;
    }
  }

  /** The object as of the snapshot: dirty ranges from local files, the rest from the old object or zeros. */
  private plan(file: CachedFile, snapshot: Snapshot, key: string | null): UploadSource[] {
    const sources: UploadSource[] = [];
    const small = snapshot.size <= SMALL_OBJECT;
    const unchanged = (start: number, end: number) => {
      const remoteEnd = Math.min(end, snapshot.baseLimit);
      for (let at = start; at < remoteEnd; ) {
        // Small objects go up in one request: local bytes save a GET. Large ones copy server-side.
        const local = small || key === null ? file.present.within(at, remoteEnd)[0] : undefined;
        if (local && local.start === at) {
          sources.push(...this.segments.sources(file.id, local.start, local.end));
          at = local.end;
        } else {
          const next = local?.start ?? remoteEnd;
          if (key === null) throw fsError("Io", `no object to copy bytes ${at}-${next} of ${file.id} from`);
          sources.push({ kind: "copy", key, offset: at, length: next - at });
          at = next;
        }
      }
      const holeStart = Math.max(start, remoteEnd);
      if (holeStart < end) sources.push({ kind: "zeros", length: end - holeStart });
    };
    let at = 0;
    for (const range of snapshot.dirty.within(0, snapshot.size)) {
      if (range.start > at) unchanged(at, range.start);
      sources.push(...this.segments.sources(file.id, range.start, range.end));
      at = range.end;
    }
    if (at < snapshot.size) unchanged(at, snapshot.size);
    return sources;
  }

  /** Under the file's lock: the remote object now holds the snapshot. */
  private uploaded(file: CachedFile, snapshot: Snapshot): void {
    const since = file.sinceSnapshot ?? { dirty: new RangeSet(), cap: Infinity };
    file.sinceSnapshot = null;
    file.remoteSize = snapshot.size;
    file.baseCap = since.cap;
    this.dirtyBytes -= file.dirty.total;
    file.dirty = since.dirty;
    this.dirtyBytes += file.dirty.total;
    file.uploadedSeq = snapshot.seq;
    if (file.needsUpload) {
      if (file.journaled) this.persist(file);
    } else if (file.journaled) {
      this.journal.remove(file.id);
      file.journaled = false;
    }
    this.settleWaiters(file.id, file.needsUpload ? snapshot.seq : Infinity);
    this.wakeRoomWaiters();
  }

  private settleWaiters(id: string, uploadedSeq: number): void {
    const waiters = this.remoteWaiters.get(id);
    if (!waiters) return;
    const left = waiters.filter((waiter) => {
      if (waiter.seq > uploadedSeq) return true;
      waiter.done();
      return false;
    });
    if (left.length > 0) this.remoteWaiters.set(id, left);
    else this.remoteWaiters.delete(id);
  }

  /** Uploads changes nobody committed once they are uploadAfterMs old. */
  private uploadIdle(): void {
    const now = Date.now();
    for (const id of this.unsynced) {
      const file = this.files.get(id);
      if (!file) {
        this.unsynced.delete(id);
        continue;
      }
      if (now - file.changedAt >= this.options.uploadAfterMs) {
        this.sync(id).catch((err: unknown) => this.options.logger.error({ err, id }, "syncing an idle file failed"));
      }
    }
  }

  private async backoff(attempt: number): Promise<void> {
    const ms = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt);
    await sleep(ms * (0.75 + Math.random() / 2));
  }

  // ---- errors, status ----

  /** Records a failure of the remote store and returns it as an FsError for the caller. */
  private failed(err: unknown, what: string): FsError {
    if (err instanceof FsError) return err;
    const message = `${what} on ${this.remote} failed: ${(err as Error)?.message ?? String(err)}`;
    if (this.lastError?.message !== message) this.options.logger.warn({ remote: this.remote }, message);
    this.lastError = { message, at: new Date().toISOString() };
    this.emit("failure", this.lastError);
    this.statusChanged();
    return fsError("Io", message, err);
  }

  private succeeded(): void {
    if (!this.lastError) return;
    this.options.logger.info({ remote: this.remote }, "remote store reachable again");
    this.lastError = null;
    this.statusChanged();
  }

  private statusChanged(): void {
    if (this.statusTimer || this.closed || this.listenerCount("status") === 0) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      this.emit("status", this.status());
    }, STATUS_EVERY_MS);
    this.statusTimer.unref();
  }

  private checkOpen(): void {
    if (this.closed) throw fsError("Io", `the cache of ${this.remote} is closed`);
  }

  // ---- restart ----

  /** Rebuilds the owed work from the journal; local copies nobody owes are removed. */
  private async resume(dataDir: string): Promise<void> {
    const owed = new Set<string>();
    let uploads = 0;
    const abandoned: Array<{ id: string; key: string; uploadId: string }> = [];
    for (const { id, change } of this.journal.all()) {
      if (change.action === "abort-upload") {
        abandoned.push({ id, ...change });
        continue;
      }
      owed.add(segmentStem(id).toLowerCase());
      if (change.action === "delete" || change.action === "marker") {
        this.keyWork.set(id, change);
      } else {
        const file = new CachedFile(id);
        file.size = change.size;
        file.remoteSize = change.remoteSize;
        file.baseCap = change.baseCap;
        file.truncated = change.truncated;
        file.dirty = RangeSet.of(change.dirty);
        file.present = file.dirty.clone();
        file.seq = file.syncedSeq = 1;
        file.journaled = true;
        this.localBytes += file.present.total;
        this.dirtyBytes += file.dirty.total;
        this.files.set(id, file);
        uploads++;
      }
    }
    await removeOrphans(dataDir, owed);
    if (owed.size > 0) {
      this.options.logger.info({ remote: this.remote, uploads, deletesAndMarkers: this.keyWork.size }, "resuming uploads left from the last run");
    }
    for (const id of [...this.keyWork.keys(), ...this.files.keys()]) this.enqueue(id);
    if (abandoned.length > 0) void this.abandonStreams(abandoned);
  }

  /** Aborts the multipart uploads of files that were being streamed when the last run ended. */
  private async abandonStreams(streams: Array<{ id: string; key: string; uploadId: string }>): Promise<void> {
    for (const { id, key, uploadId } of streams) {
      await this.options.backend.abandon?.(key, uploadId);
      if (this.closed) return;
      this.journal.remove(id);
    }
  }
}

/** A failure that trying again will not fix: rejected credentials, a missing bucket, a refused request. */
function isPermanent(err: unknown): boolean {
  // Failures met on the way (looking the object up) arrive wrapped as the caller's FsError.
  const remote = err instanceof FsError ? err.cause : err;
  return isRemoteError(remote) && !remote.retryable && remote.kind !== "not-found";
}

/** The journal row of a file's streamed upload (never a content id: those are hex only). */
function streamRowId(id: string): string {
  return `stream_${id}`;
}

/** Indexes of the segments that hold any of `ranges`. */
function segmentsOf(ranges: RangeSet): number[] {
  const segments: number[] = [];
  for (const range of ranges.list()) {
    for (let n = Math.floor(range.start / SEGMENT_SIZE); n * SEGMENT_SIZE < range.end; n++) {
      if (segments.at(-1) !== n) segments.push(n);
    }
  }
  return segments;
}

function lastEnd(ranges: RangeSet): number {
  return ranges.list().at(-1)?.end ?? 0;
}

async function removeOrphans(dataDir: string, owed: Set<string>): Promise<void> {
  const entries = await fs.promises.readdir(dataDir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const stem = stemOfSegmentFile(entry.name);
    if (stem !== null && owed.has(stem)) continue;
    await fs.promises.rm(path.join(entry.parentPath, entry.name), { force: true });
  }
}

