import { setTimeout as sleep } from "node:timers/promises";
import { KeyedMutex } from "../../../../util/keyed-mutex.js";
import { backoff, isPermanent, type Parking, retryPause } from "./backoff.js";
import type { CachedFile } from "./cached-file.js";
import type { CacheContext } from "./context.js";
import type { PendingDelete, PendingMarker } from "./journal.js";

/** What the queue runs for a file, and tells when a job ends. */
export interface JobHooks {
  /** Uploads (or moves) the file until it is in the remote store, it is deleted, or it waits. */
  uploadFile(file: CachedFile): Promise<void>;
  /** A job ended: room may have been made. */
  jobEnded(): void;
}

/**
 * The jobs owed to the remote store, `uploadConcurrency` at a time and one per id: uploads of
 * files, and deletes and directory markers (journaled, so they survive a restart). Jobs that
 * change the same key run one at a time, each checking first that the key is still its to
 * change; a job whose key another file's object has yet to leave waits for that file's job.
 */
export class UploadQueue {
  /** Deletes and directory markers owed to the remote store, by id. */
  readonly keyWork = new Map<string, PendingDelete | PendingMarker>();
  /** Remote changes to one key run one at a time, each checking first that the key is still its to change. */
  readonly keyLocks = new KeyedMutex();
  private readonly queue = new Set<string>();
  private readonly busy = new Map<string, Promise<void>>();
  /** Jobs waiting for another file's object to leave their key, by that file's id. */
  private readonly waiters = new Map<string, Set<string>>();

  constructor(
    private readonly ctx: CacheContext,
    private readonly parking: Parking,
    private readonly hooks: JobHooks,
  ) {}

  /** Jobs running now. */
  get running(): number {
    return this.busy.size;
  }

  isRunning(id: string): boolean {
    return this.busy.has(id);
  }

  enqueue(id: string): void {
    this.queue.add(id);
    this.pump();
  }

  /** Queues whatever `id` needs: an upload of local changes, or a move of its object (bucket layout). */
  reconcile(id: string): void {
    this.ctx.fileFor(id);
    this.enqueue(id);
  }

  /** Journals a delete or marker owed for `id` (replacing what was owed). */
  owe(id: string, work: PendingDelete | PendingMarker): void {
    this.ctx.journal.put(id, work);
    this.keyWork.set(id, work);
  }

  /** Resolves once no job is queued, running or waiting for another file's key. */
  async drained(): Promise<void> {
    // A job waiting for another file's object to leave its key is owed work too.
    while (this.queue.size > 0 || this.busy.size > 0 || this.waiters.size > 0) {
      await Promise.race([...this.busy.values(), sleep(50)]);
    }
  }

  /** Resolves once the jobs running now have ended (after close, none starts). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.busy.values());
  }

  /**
   * `file` waits for `occupant`, whose object is still at its key: queued again when the
   * occupant's job ends, and in any case after a growing pause (the occupant may be stuck).
   */
  waitFor(occupant: string, file: CachedFile): void {
    const waiting = this.waiters.get(occupant) ?? new Set<string>();
    waiting.add(file.id);
    this.waiters.set(occupant, waiting);
    // Asked once: an occupant with nothing to move must not be run again at every wake-up.
    if (file.blockedTries === 0 && !this.parking.has(occupant)) this.reconcile(occupant);
    if (this.waiters.get(file.id)?.has(occupant)) {
      this.ctx.logger.warn({ key: this.ctx.options.locator.target(file.id) }, "two files wait for each other's key (names swapped before their objects moved); retrying");
    }
    const pause = retryPause(file.blockedTries++);
    setTimeout(() => {
      if (!this.ctx.closed) this.enqueue(file.id);
    }, pause).unref();
  }

  /** Deletes the object a file was moved away from (the new one is in place), unless it is another file's now. */
  async removeOld(key: string, id: string, etag: string | undefined): Promise<void> {
    const { ctx } = this;
    for (let attempt = 0; !ctx.closed; attempt++) {
      try {
        await this.deleteUnlessOccupied(key, id, etag);
        ctx.events.succeeded();
        return;
      } catch (err) {
        const failure = ctx.events.failed(err, `deleting ${key} after moving it`);
        // The move is done; the old object stays behind and the listing shows it as a file again.
        if (isPermanent(err)) return ctx.logger.error({ key }, `left ${key} behind: ${failure.message}`);
        await backoff(attempt);
      }
    }
  }

  /**
   * Under the key's lock: deletes the object of `id` at `key`, unless the index says another
   * file's object is there now; with `etag`, S3 itself also keeps any object but that one.
   */
  async deleteUnlessOccupied(key: string, id: string, etag?: string): Promise<void> {
    if (this.ctx.options.locator.occupant?.(key, id)) return;
    await this.ctx.options.backend.delete(key, { ifMatch: etag });
  }

  private pump(): void {
    const { ctx } = this;
    if (ctx.closed) return;
    for (const id of this.queue) {
      if (this.busy.size >= ctx.options.uploadConcurrency) break;
      if (this.busy.has(id)) continue;
      this.queue.delete(id);
      const job = this.runJob(id)
        .catch((err: unknown) => ctx.logger.error({ err, id }, "upload job failed"))
        .finally(() => {
          this.busy.delete(id);
          this.wakeWaiters(id);
          this.hooks.jobEnded();
          ctx.events.statusChanged();
          this.pump();
        });
      this.busy.set(id, job);
    }
    ctx.events.statusChanged();
  }

  /** The job of `id` ended: jobs waiting for its object to leave their key look again. */
  private wakeWaiters(id: string): void {
    const waiting = this.waiters.get(id);
    if (!waiting) return;
    this.waiters.delete(id);
    for (const waiter of waiting) this.enqueue(waiter);
  }

  private async runJob(id: string): Promise<void> {
    // Run again (a new sync, a retry): no longer stopped.
    this.parking.release(id);
    if (this.keyWork.has(id)) return this.doKeyWork(id);
    const file = this.ctx.files.get(id);
    if (!file || file.deleted) return;
    file.holders++;
    try {
      await this.hooks.uploadFile(file);
    } finally {
      file.holders--;
    }
  }

  private async doKeyWork(id: string): Promise<void> {
    const { ctx } = this;
    for (let attempt = 0; !ctx.closed; attempt++) {
      // What is owed now: a retry after a marker was deleted again does the delete.
      const work = this.keyWork.get(id);
      if (work === undefined) return;
      try {
        // A delete queued when a file was removed runs after the jobs before it on the key, and
        // spares a newer file's object there (rm a; create a).
        await this.keyLocks.run([work.key], async () => {
          if (work.action === "delete") await this.deleteUnlessOccupied(work.key, id, work.etag);
          else await ctx.options.backend.upload(work.key, []);
        });
        ctx.events.succeeded();
        // Replaced meanwhile (a marker deleted again): that work is queued and keeps its row.
        if (this.keyWork.get(id) === work) {
          ctx.journal.remove(id);
          this.keyWork.delete(id);
        }
        return;
      } catch (err) {
        const failure = ctx.events.failed(err, work.action === "delete" ? `deleting ${work.key}` : `creating ${work.key}`);
        if (isPermanent(err)) return this.parking.park(id, failure.message);
        await backoff(attempt);
      }
    }
  }
}
