import type { ContentStore } from "../content/store.js";
import { FsError, fsError } from "../errors.js";
import type { Logger } from "../util/logger.js";
import { BufferPool } from "./buffer-pool.js";
import { type Extent, ExtentList, type Range } from "./extent-list.js";

export interface WriteCacheOptions {
  /** Bytes of cached writes (dirty or being written back) before writers have to wait. */
  maxDirtyBytes: number;
  /** A file dirty for this long is written back with no commit or pressure (default 5 s). */
  flushAfterMs?: number;
  /** How often dirty files are checked for that age (default 1 s, at most flushAfterMs). */
  flushIntervalMs?: number;
}

const DEFAULT_FLUSH_AFTER_MS = 5000;
const DEFAULT_FLUSH_INTERVAL_MS = 1000;
/** Floor of the default check interval, so a tiny flushAfterMs does not spin the timer. */
const MIN_FLUSH_INTERVAL_MS = 10;

export interface WriteCacheStats {
  dirtyBytes: number;
  writingBackBytes: number;
  dirtyFiles: number;
  /** Files with any cached state (dirty bytes, write-backs or store operations in flight). */
  trackedFiles: number;
}

/** Extents are written back as soon as they reach this size (smaller for small budgets). */
const MAX_EXTENT_SIZE = 1 << 20;
const MIN_EXTENT_SIZE = 4 << 10;
/** Idle extent buffers kept for reuse. */
const POOL_IDLE_BYTES = 8 << 20;
/** Concurrent store.sync calls when committing everything. */
const SYNC_CONCURRENCY = 8;

/** A store call for one file, ordered after the earlier calls whose range it overlaps. */
interface StoreOp extends Range {
  readonly seq: number;
  readonly done: Promise<void>;
}

class CachedFile {
  readonly dirty: ExtentList;
  /** Extents handed to the store and not yet acknowledged, oldest first. */
  readonly writingBack = new Set<Extent>();
  readonly ops = new Set<StoreOp>();
  /** A failed write-back, reported to the next write or commit of this file. */
  error: FsError | null = null;
  /** End of the last extent written back because it was full: a write here continues a stream. */
  streamEnd = -1;
  /** performance.now() when the file last went from clean to dirty: the age idle flush uses. */
  dirtySince = 0;

  constructor(
    readonly store: ContentStore,
    readonly id: string,
    pool: BufferPool,
    extentSize: number,
  ) {
    this.dirty = new ExtentList(pool, extentSize);
  }

  get idle(): boolean {
    return this.dirty.isEmpty && this.writingBack.size === 0 && this.ops.size === 0 && this.error === null;
  }
}

/**
 * The write-back cache between the ContentService and the content stores.
 *
 * An unstable write is copied once into per-file extents that coalesce adjacent and
 * overlapping writes, later bytes winning. An extent that reaches `extentSize` (1 MiB with a
 * budget of 8 MiB or more) — a sequential stream, or one large write — is written back at once
 * in the background while the writer goes on, so the store sees large writes and several of
 * them in flight. Only small scattered writes stay in memory until a commit or the budget
 * pushes them out.
 *
 * Why copy large writes instead of writing them through without a copy: the copy costs a
 * memcpy on the event loop (~0.1 ms per MiB), while a 1 MiB fs.write into a fresh file takes
 * ~3 ms of a threadpool thread on the 2-core test machine (ext4 block allocation). Measured at
 * the service with one 1 MiB write in flight at a time: ~300 MB/s written through, ~1.2 GB/s
 * copied and written back behind the writer; with several writes in flight both reach the
 * same. Stable writes (data_sync/file_sync) and writes larger than a quarter of the budget go
 * straight to the store, without a copy.
 *
 * Cached bytes (dirty or being written back) are bounded by `maxDirtyBytes`: a writer that
 * would pass it first starts the write-back of the oldest dirty files and waits for room.
 * Reads overlay cached bytes on the store's, so a read always sees the latest write.
 *
 * Idle flush (like the kernel's dirty_expire): while any file is dirty, an unref'd timer checks
 * every `flushIntervalMs` and starts the write-back of files dirty for `flushAfterMs` or more,
 * so data written with no COMMIT and no budget pressure does not wait in memory for shutdown.
 * It only writes to the store; durability stays with commit. The timer stops when nothing is
 * dirty (commitAll, and so ContentService.flushAll, leaves nothing dirty).
 *
 * Store calls of one file are ordered by range: a call waits for the earlier calls it
 * overlaps, so a write-back never lands on top of a newer write, truncate or delete. A failed
 * write-back puts its bytes back as dirty (under anything newer), is logged once and is
 * reported to the file's next write or commit; its bytes are retried by the next write-back.
 *
 * Files are keyed by store and content id, so shares that use the same store see one cache.
 */
export class WriteCache {
  readonly extentSize: number;
  private readonly maxDirtyBytes: number;
  private readonly flushAfterMs: number;
  private readonly flushIntervalMs: number;
  private idleFlushTimer: NodeJS.Timeout | null = null;
  private readonly pool: BufferPool;
  private readonly files = new Map<ContentStore, Map<string, CachedFile>>();
  /** Ids with store writes or truncates that no sync has made durable yet. */
  private readonly unsynced = new Map<ContentStore, Set<string>>();
  /** Files with dirty extents, in the order they became dirty: write-back order under pressure. */
  private readonly dirtyFiles = new Set<CachedFile>();
  private dirtyBytes = 0;
  private writingBackBytes = 0;
  /** Room granted to writers that waited for it and have not copied their data in yet. */
  private reservedBytes = 0;
  private roomWaiters: Array<() => void> = [];
  private seq = 0;

  constructor(
    private readonly logger: Logger,
    options: WriteCacheOptions,
  ) {
    if (!Number.isFinite(options.maxDirtyBytes) || options.maxDirtyBytes < 0) {
      throw fsError("Invalid", `maxDirtyBytes must be a non-negative number, got ${options.maxDirtyBytes}`);
    }
    this.maxDirtyBytes = options.maxDirtyBytes;
    this.flushAfterMs = checkedDuration("flushAfterMs", options.flushAfterMs ?? DEFAULT_FLUSH_AFTER_MS);
    this.flushIntervalMs = checkedDuration(
      "flushIntervalMs",
      options.flushIntervalMs ??
        Math.max(MIN_FLUSH_INTERVAL_MS, Math.min(DEFAULT_FLUSH_INTERVAL_MS, this.flushAfterMs)),
    );
    if (this.flushIntervalMs === 0) throw fsError("Invalid", "flushIntervalMs must be positive");
    this.extentSize = extentSizeFor(options.maxDirtyBytes);
    this.pool = new BufferPool(this.extentSize, Math.max(1, Math.floor(POOL_IDLE_BYTES / this.extentSize)));
  }

  stats(): WriteCacheStats {
    let trackedFiles = 0;
    for (const files of this.files.values()) trackedFiles += files.size;
    return {
      dirtyBytes: this.dirtyBytes,
      writingBackBytes: this.writingBackBytes,
      dirtyFiles: this.dirtyFiles.size,
      trackedFiles,
    };
  }

  /**
   * Caches `data` at `offset` (one copy), or with `writeThrough` (or a write too large for the
   * budget) writes it to the store before resolving. Either way the caller may reuse `data`
   * once this resolves.
   */
  async write(store: ContentStore, id: string, offset: number, data: Buffer, writeThrough: boolean): Promise<void> {
    const known = this.files.get(store)?.get(id);
    if (known) this.throwPendingError(known);
    if (data.length === 0) return;
    let file = known ?? this.fileFor(store, id);
    const end = offset + data.length;
    if (writeThrough || data.length > this.maxDirtyBytes / 4) {
      // Older cached bytes under this range go first, so that this write lands on top of them.
      const before = file.dirty.held;
      const older = file.dirty.takeOverlapping(offset, end);
      this.afterDirtyChange(file, before);
      for (const extent of older) this.startWriteBack(file, extent);
      this.markUnsynced(store, id);
      await this.storeOp(file, offset, end, () => store.write(id, offset, data)).done;
      return;
    }
    if (this.dirtyBytes + this.writingBackBytes + this.reservedBytes + data.length > this.maxDirtyBytes) {
      await this.waitForRoom(data.length);
      this.reservedBytes -= data.length;
      file = this.fileFor(store, id);
      // With no write-back in flight, nothing else would wake writers waiting on this reservation.
      if (this.writingBackBytes === 0) this.wakeRoomWaiters();
    }
    const before = file.dirty.held;
    const extent = file.dirty.write(offset, data, offset === file.streamEnd);
    if (extent.length >= this.extentSize) {
      file.dirty.remove(extent);
      file.streamEnd = extent.end;
      this.afterDirtyChange(file, before);
      this.startWriteBack(file, extent);
    } else {
      this.afterDirtyChange(file, before);
    }
  }

  /**
   * Up to `length` bytes at `offset`: the store's bytes with the cached ones on top. With `into`
   * (at least `length` bytes) the result is a view of its start.
   */
  async read(store: ContentStore, id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const file = this.files.get(store)?.get(id);
    if (!file || (file.dirty.isEmpty && file.writingBack.size === 0)) return store.read(id, offset, length, into);
    const end = offset + length;
    // Oldest first: bytes being written back, then dirty bytes (always newer).
    const layers: Extent[] = [];
    for (const e of file.writingBack) if (e.start < end && e.end > offset) layers.push(e);
    layers.push(...file.dirty.overlapping(offset, end));
    if (layers.length === 0) return store.read(id, offset, length, into);

    // One cached extent covering the whole range: the store has nothing to add.
    for (let k = layers.length - 1; k >= 0; k--) {
      if (layers[k]!.start <= offset && layers[k]!.end >= end) {
        const out = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
        for (let m = k; m < layers.length; m++) layers[m]!.copyInto(out, offset);
        return out;
      }
    }

    // Pinned, the extents keep their buffers even if their write-back completes meanwhile.
    for (const e of layers) e.pin();
    try {
      const stored = await store.read(id, offset, length, into);
      let resultEnd = offset + stored.length;
      for (const e of layers) resultEnd = Math.max(resultEnd, Math.min(e.end, end));
      let out = stored;
      if (resultEnd - offset > stored.length) {
        // `stored` is a view at the start of `into` when one was given: extend it in place.
        out = into ? into.subarray(0, resultEnd - offset) : Buffer.allocUnsafe(resultEnd - offset);
        if (out.buffer !== stored.buffer || out.byteOffset !== stored.byteOffset) stored.copy(out, 0);
        out.fill(0, stored.length);
      }
      for (const e of layers) e.copyInto(out, offset);
      return out;
    } finally {
      for (const e of layers) e.unpin();
    }
  }

  async truncate(store: ContentStore, id: string, size: number): Promise<void> {
    const file = this.fileFor(store, id);
    const before = file.dirty.held;
    file.dirty.truncate(size);
    this.afterDirtyChange(file, before);
    if (file.streamEnd > size) file.streamEnd = -1;
    this.wakeRoomWaiters();
    this.markUnsynced(store, id);
    await this.storeOp(file, size, Infinity, () => store.truncate(id, size)).done;
  }

  async delete(store: ContentStore, id: string): Promise<void> {
    const file = this.fileFor(store, id);
    const before = file.dirty.held;
    file.dirty.clear();
    this.afterDirtyChange(file, before);
    file.error = null;
    file.streamEnd = -1;
    this.wakeRoomWaiters();
    this.unsynced.get(store)?.delete(id);
    await this.storeOp(file, 0, Infinity, () => store.delete(id)).done;
  }

  /** Writes the file's cached bytes to the store and makes the content durable there. */
  async commit(store: ContentStore, id: string): Promise<void> {
    const file = this.files.get(store)?.get(id);
    if (file) {
      const error = await this.writeBackAndWait([file]);
      if (error) throw error;
    }
    await this.sync(store, id);
  }

  /** Makes what was written to the store for `id` durable (the cached bytes stay cached). */
  async sync(store: ContentStore, id: string): Promise<void> {
    const marks = this.unsynced.get(store);
    marks?.delete(id);
    try {
      await store.sync(id);
    } catch (err) {
      this.markUnsynced(store, id);
      throw err;
    }
  }

  /**
   * Commits every cached file of `store` (or of every store) and syncs every id written since
   * its last sync. Everything is attempted; the first failure is thrown at the end.
   */
  async commitAll(store?: ContentStore): Promise<void> {
    const stores = store ? [store] : [...new Set([...this.files.keys(), ...this.unsynced.keys()])];
    const files = stores.flatMap((s) => [...(this.files.get(s)?.values() ?? [])]);
    let firstError: unknown = await this.writeBackAndWait(files);
    for (const s of stores) {
      const ids = [...(this.unsynced.get(s) ?? [])];
      const worker = async (): Promise<void> => {
        for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
          try {
            await this.sync(s, id);
          } catch (err) {
            firstError ??= err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, ids.length) }, worker));
    }
    if (this.dirtyFiles.size === 0) this.stopIdleFlush();
    if (firstError) throw firstError;
  }

  /** Starts the write-back of files dirty for flushAfterMs or more (no sync: commit does that). */
  private flushExpired(): void {
    const dirtiedBefore = performance.now() - this.flushAfterMs;
    // Oldest first: the set is in the order files became dirty, so stop at the first young one.
    for (const file of this.dirtyFiles) {
      if (file.dirtySince > dirtiedBefore) break;
      this.writeBackFile(file);
    }
    if (this.dirtyFiles.size === 0) this.stopIdleFlush();
  }

  private stopIdleFlush(): void {
    if (this.idleFlushTimer === null) return;
    clearInterval(this.idleFlushTimer);
    this.idleFlushTimer = null;
  }

  /** Starts the write-back of all dirty bytes of `files`, waits for every store call in flight. */
  private async writeBackAndWait(files: CachedFile[]): Promise<FsError | null> {
    for (const file of files) {
      // Whatever failed before is retried now; only a failure of this round is reported.
      file.error = null;
      this.writeBackFile(file);
    }
    await Promise.allSettled(files.flatMap((f) => [...f.ops].map((op) => op.done)));
    let first: FsError | null = null;
    for (const file of files) {
      first ??= file.error;
      file.error = null;
      this.maybeForget(file);
    }
    return first;
  }

  private writeBackFile(file: CachedFile): void {
    const before = file.dirty.held;
    const extents = file.dirty.takeAll();
    this.afterDirtyChange(file, before);
    for (const extent of extents) this.startWriteBack(file, extent);
  }

  /** Hands an extent (already out of the dirty list) to the store in the background. */
  private startWriteBack(file: CachedFile, extent: Extent): void {
    const bytes = extent.buf.length;
    this.writingBackBytes += bytes;
    file.writingBack.add(extent);
    this.markUnsynced(file.store, file.id);
    const op = this.storeOp(file, extent.start, extent.end, () => file.store.write(file.id, extent.start, extent.data));
    const finish = (): void => {
      file.writingBack.delete(extent);
      this.writingBackBytes -= bytes;
      extent.retire();
      this.wakeRoomWaiters();
      this.maybeForget(file);
    };
    const succeeded = (): void => {
      // A retry that leaves nothing cached means no byte of an earlier failure is at risk now.
      if (file.error && file.dirty.isEmpty && file.writingBack.size === 1) file.error = null;
      finish();
    };
    op.done.then(succeeded, (err: unknown) => {
      // Put the bytes back as dirty, except where a newer write, truncate or delete took over.
      const newer = [...file.ops].filter((o) => o.seq > op.seq);
      const before = file.dirty.held;
      const kept = file.dirty.fillGaps(extent.start, extent.data, newer);
      this.afterDirtyChange(file, before);
      if (kept > 0) {
        const error = asFsError(err, `write-back of ${file.id} failed`);
        if (!file.error) {
          this.logger.warn(
            { err: error, store: file.store.kind, contentId: file.id, offset: extent.start, bytes: extent.length },
            "write-back failed; the data stays cached and the next write or commit of the file reports it",
          );
        }
        file.error = error;
      }
      finish();
    });
  }

  /** Runs `call` after the earlier store calls of the file that overlap [start, end). */
  private storeOp(file: CachedFile, start: number, end: number, call: () => Promise<void>): StoreOp {
    const earlier: Array<Promise<void>> = [];
    for (const o of file.ops) if (o.start < end && start < o.end) earlier.push(o.done);
    const done = earlier.length === 0 ? invoke(call) : Promise.allSettled(earlier).then(call);
    const op: StoreOp = { seq: ++this.seq, start, end, done };
    file.ops.add(op);
    const cleanup = (): void => {
      file.ops.delete(op);
      this.maybeForget(file);
    };
    done.then(cleanup, cleanup);
    return op;
  }

  /**
   * Back-pressure: starts the write-back of the oldest dirty files until `bytes` fit, waits for
   * room and reserves it. Files whose write-back failed are skipped (their next write or commit
   * retries them); when they alone fill the budget they are retried once, and if that fails
   * too the writer gets their error rather than waiting forever.
   */
  private async waitForRoom(bytes: number): Promise<void> {
    let retriedFailed = false;
    for (;;) {
      const held = this.dirtyBytes + this.writingBackBytes + this.reservedBytes;
      if (held === 0 || held + bytes <= this.maxDirtyBytes) {
        this.reservedBytes += bytes;
        return;
      }
      let failed: FsError | null = null;
      for (const file of this.dirtyFiles) {
        if (this.dirtyBytes + this.reservedBytes + bytes <= this.maxDirtyBytes) break;
        if (file.error) failed ??= file.error;
        else this.writeBackFile(file);
      }
      if (this.writingBackBytes === 0 && this.reservedBytes === 0) {
        if (!failed || retriedFailed) throw failed ?? fsError("Io", "write cache cannot make room");
        retriedFailed = true;
        for (const file of [...this.dirtyFiles]) if (file.error) this.writeBackFile(file);
      }
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private afterDirtyChange(file: CachedFile, heldBefore: number): void {
    this.dirtyBytes += file.dirty.held - heldBefore;
    if (file.dirty.isEmpty) this.dirtyFiles.delete(file);
    else if (!this.dirtyFiles.has(file)) {
      file.dirtySince = performance.now();
      this.dirtyFiles.add(file);
      if (this.idleFlushTimer === null) {
        // Unref'd: a dirty cache never keeps the process alive (shutdown flushes it anyway).
        this.idleFlushTimer = setInterval(() => this.flushExpired(), this.flushIntervalMs).unref();
      }
    }
  }

  private throwPendingError(file: CachedFile): void {
    const error = file.error;
    if (!error) return;
    file.error = null;
    this.maybeForget(file);
    throw error;
  }

  private markUnsynced(store: ContentStore, id: string): void {
    let ids = this.unsynced.get(store);
    if (!ids) {
      ids = new Set();
      this.unsynced.set(store, ids);
    }
    ids.add(id);
  }

  private fileFor(store: ContentStore, id: string): CachedFile {
    let files = this.files.get(store);
    if (!files) {
      files = new Map();
      this.files.set(store, files);
    }
    let file = files.get(id);
    if (!file) {
      file = new CachedFile(store, id, this.pool, this.extentSize);
      files.set(id, file);
    }
    return file;
  }

  /** Drops the bookkeeping of a file with nothing cached and nothing in flight. */
  private maybeForget(file: CachedFile): void {
    if (!file.idle) return;
    const files = this.files.get(file.store);
    if (files?.get(file.id) !== file) return;
    files.delete(file.id);
    if (files.size === 0) this.files.delete(file.store);
  }
}

/** The largest power of two ≤ 1 MiB that leaves room for 8 extents in the budget (≥ 4 KiB). */
function extentSizeFor(maxDirtyBytes: number): number {
  let size = MAX_EXTENT_SIZE;
  while (size > MIN_EXTENT_SIZE && size * 8 > maxDirtyBytes) size /= 2;
  return size;
}

function checkedDuration(name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw fsError("Invalid", `${name} must be a non-negative number, got ${ms}`);
  return ms;
}

function invoke(call: () => Promise<void>): Promise<void> {
  try {
    return call();
  } catch (err) {
    return Promise.reject(err);
  }
}

function asFsError(err: unknown, message: string): FsError {
  return err instanceof FsError ? err : fsError("Io", `${message}: ${(err as Error)?.message ?? String(err)}`, err);
}
