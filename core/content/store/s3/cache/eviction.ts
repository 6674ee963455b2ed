import fs from "node:fs";
import { type FsError, fsError } from "../../../../errors.js";
import type { Parking } from "./backoff.js";
import type { CacheContext } from "./context.js";
import type { RangeSet } from "./range-set.js";
import type { RecentChunks } from "./recent-chunks.js";
import { SEGMENT_SIZE } from "./segments.js";

const STATFS_EVERY_MS = 250;

/** What the room keeper asks of the uploads when only bytes not yet uploaded are left. */
export interface UploadPressure {
  /** Upload jobs running now. */
  running(): number;
  /** Syncs every unsynced change and queues every journaled file not already running or stopped. */
  hurry(): Promise<void>;
}

/**
 * Keeps local bytes within `maxBytes` and the disk's free-space floor: clean segments are
 * evicted in least-recently-used order; when only unsent bytes are left, writers wait for
 * uploads (they slow down), and after `fullWaitMs` are told to try again later.
 */
export class Room {
  /** Bytes writers were let in for and are still writing. */
  private reservedBytes = 0;
  private waiters: Array<() => void> = [];
  private diskFree = { bytes: Infinity, at: 0 };
  /** Writers are waiting for uploads to make room. */
  throttled = false;
  /** Why writers were last told to try again later (the cache full and uploads stuck); null once there is room. */
  fullReason: string | null = null;

  constructor(
    private readonly ctx: CacheContext,
    private readonly recent: RecentChunks,
    private readonly parking: Parking,
    private readonly uploads: UploadPressure,
  ) {}

  /** Runs the write `body` once `bytes` more fit in the cache, counting them as taken meanwhile. */
  async reserve<T>(bytes: number, body: () => Promise<T>): Promise<T> {
    await this.makeRoom(bytes);
    this.reservedBytes += bytes;
    try {
      return await body();
    } finally {
      this.reservedBytes -= bytes;
    }
  }

  /** Evicts for a fetch; a reader never waits for uploads (it may overshoot the limit a little). */
  async evictFor(bytes: number): Promise<void> {
    const need = await this.shortfall(bytes);
    if (need > 0) await this.evict(need);
  }

  /** Uploads finished (or gave up): writers waiting for room look again. */
  wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Waits until `bytes` more fit in the cache: evicts clean bytes, else waits for uploads. */
  private async makeRoom(bytes: number): Promise<void> {
    const { ctx } = this;
    const giveUpAt = Date.now() + ctx.options.fullWaitMs;
    for (;;) {
      ctx.checkOpen();
      const need = await this.shortfall(bytes);
      if (need <= 0) break;
      if ((await this.evict(need)) >= need) continue;
      // Only bytes not yet uploaded are left. With nothing to upload, waiting would not help.
      if (ctx.dirtyBytes === 0 && this.uploads.running() === 0) break;
      if (!this.throttled) {
        this.throttled = true;
        ctx.logger.warn({ remote: ctx.remote, cacheBytes: ctx.localBytes }, "disk cache full: writers wait for uploads");
        ctx.events.statusChanged();
      }
      if (Date.now() >= giveUpAt) throw this.full();
      await this.uploads.hurry();
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.min(1_000, Math.max(0, giveUpAt - Date.now()))).unref();
      });
    }
    this.fullReason = null;
    if (this.throttled) {
      this.throttled = false;
      ctx.logger.info({ remote: ctx.remote }, "disk cache has room again");
      ctx.events.statusChanged();
    }
  }

  /** The cache stayed full for fullWaitMs: the writer is told to come back later, and the status says why. */
  private full(): FsError {
    const { ctx } = this;
    const stuck = this.parking.size > 0 ? this.parking.lastReason : ctx.events.lastError?.message;
    this.fullReason = `the disk cache is full of changes not yet uploaded to ${ctx.remote}${stuck ? `, and uploads are failing: ${stuck}` : ""}`;
    ctx.events.statusChanged();
    return fsError("TryLater", `${this.fullReason}; try again later`);
  }

  private async shortfall(bytes: number): Promise<number> {
    const { ctx } = this;
    const overLimit = ctx.localBytes + this.reservedBytes + bytes - ctx.options.maxBytes;
    const now = Date.now();
    if (now - this.diskFree.at > STATFS_EVERY_MS) {
      const stats = await fs.promises.statfs(ctx.options.dir);
      this.diskFree = { bytes: stats.bavail * stats.bsize, at: now };
    }
    const underFloor = ctx.options.minFreeBytes - (this.diskFree.bytes - bytes);
    return Math.max(overLimit, underFloor);
  }

  /** Drops clean segments, least recently used files first; returns the bytes freed. */
  private async evict(need: number): Promise<number> {
    const { ctx } = this;
    let freed = 0;
    for (const file of [...ctx.files.values()]) {
      if (freed >= need) break;
      if (file.readers > 0 || file.uploading || file.fetching.size > 0 || file.present.isEmpty) continue;
      await ctx.locks.run([file.id], async () => {
        this.recent.release(file);
        for (const segment of segmentsOf(file.present)) {
          const start = segment * SEGMENT_SIZE;
          const end = start + SEGMENT_SIZE;
          if (file.dirty.overlaps(start, end) || file.deleted) continue;
          const bytes = file.present.countWithin(start, end);
          await ctx.segments.drop(file.id, segment);
          ctx.localBytes -= bytes;
          file.present.remove(start, end);
          freed += bytes;
          if (freed >= need) break;
        }
      });
      // Forget files nobody holds that are clean and have nothing local: a later use asks S3 again.
      // (Another eviction may already have replaced this object under the same id.)
      const idle = file.holders === 0 && file.present.isEmpty && !file.needsUpload && !file.journaled;
      if (idle && ctx.files.get(file.id) === file) ctx.files.delete(file.id);
    }
    // A fresh look at the disk next time.
    if (freed > 0) this.diskFree.at = 0;
    return freed;
  }
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
