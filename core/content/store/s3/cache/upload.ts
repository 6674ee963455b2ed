import { setMaxListeners } from "node:events";
import { fsError } from "../../../../errors.js";
import type { UploadInFlight } from "../../../remote-status.js";
import { isRemoteError, type PartialUpload, type UploadSource } from "./backend.js";
import { backoff, isPermanent, type Parking } from "./backoff.js";
import type { CachedFile } from "./cached-file.js";
import type { CacheContext } from "./context.js";
import { RangeSet } from "./range-set.js";
import type { Streamer } from "./streaming.js";
import type { UploadQueue } from "./upload-queue.js";

/** Objects up to this size are uploaded from local bytes where present rather than copied remotely. */
const SMALL_OBJECT = 16 * 2 ** 20;

/** What an upload sends: the file as it was when the upload started. */
interface Snapshot {
  seq: number;
  size: number;
  dirty: RangeSet;
  baseLimit: number;
}

/**
 * Uploads a file: the object is composed from its dirty ranges (local bytes), the unchanged
 * ranges of the old object (copied server-side where the backend can) and holes (zeros), and
 * retried with back-off until it is in place. In the bucket layout it also moves an object
 * renamed (a server-side copy) and sends changed metadata. Callers waiting for the remote
 * store (waitRemote) are told when their changes made it.
 */
export class Uploader {
  private readonly remoteWaiters = new Map<string, Array<{ seq: number; done: () => void }>>();

  constructor(
    private readonly ctx: CacheContext,
    private readonly parking: Parking,
    private readonly queue: UploadQueue,
    private readonly streamer: Streamer,
    private readonly resolve: (file: CachedFile) => Promise<void>,
    /** Room was made (bytes became clean). */
    private readonly madeRoom: () => void,
  ) {}

  /** Uploads `file` until it is in the remote store, it is deleted, or it waits for another file's key. */
  async upload(file: CachedFile): Promise<void> {
    const { ctx, queue } = this;
    const { locator } = ctx.options;
    for (let attempt = 0; !file.deleted && !ctx.closed; ) {
      const target = locator.target(file.id);
      if (target === null) {
        ctx.logger.error({ id: file.id }, "dropping changes to a file whose object key is unknown (its metadata is gone)");
        break;
      }
      const source = locator.current(file.id);
      try {
        if (!file.known) await this.resolve(file);
        const keys = source !== null && source !== target ? [target, source] : [target];
        const outcome = await queue.keyLocks.run(keys, () => this.pass(file, target, source));
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
        if (ctx.closed) return;
        if (file.deleted) {
          // An upload cut short by the delete may still have landed: it must not outlive the file.
          await queue.keyLocks.run([target], () => queue.deleteUnlessOccupied(target, file.id)).catch((cleanup: unknown) => {
            ctx.events.failed(cleanup, `deleting ${target}, written for a file deleted meanwhile`);
          });
          return;
        }
        if (isRemoteError(err) && err.kind === "not-found" && file.remoteSize !== null) {
          // The old object vanished under us: what it held is gone; send what is local.
          ctx.logger.warn({ key: source }, "remote object disappeared during upload; uploading the local bytes only");
          file.remoteSize = null;
          continue;
        }
        const failure = ctx.events.failed(err, `uploading ${target}`);
        if (isPermanent(err)) return this.parking.park(file.id, failure.message);
        await backoff(attempt++);
      }
    }
    if (!file.deleted && !file.needsUpload && file.journaled) {
      ctx.journal.remove(file.id);
      file.journaled = false;
    }
  }

  /** Resolves once everything written to `id` before the call is in the remote store. */
  async waitRemote(id: string): Promise<void> {
    const { ctx } = this;
    const file = ctx.files.get(id);
    if (!file || (!file.needsUpload && !file.uploading)) return;
    const seq = file.seq;
    if (file.uploadedSeq >= seq) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const reason = ctx.events.lastError ? `: ${ctx.events.lastError.message}` : "";
        reject(fsError("Io", `changes to ${ctx.options.locator.target(id) ?? id} did not reach ${ctx.remote} within ${ctx.options.remoteTimeoutMs / 1000}s${reason}`));
      }, ctx.options.remoteTimeoutMs);
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

  /** Changes of `id` up to `uploadedSeq` are in the remote store (Infinity: none are owed any more). */
  settleWaiters(id: string, uploadedSeq: number): void {
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

  /**
   * One upload or move of `file` to `target`, run under the locks of the keys it touches, so no
   * other job changes them meanwhile: the object is written, recorded where it now is, and the
   * one it replaces at its old key is deleted. "waiting": another file's object must leave the
   * target first; "idle": nothing to do.
   */
  private async pass(file: CachedFile, target: string, source: string | null): Promise<"done" | "waiting" | "idle"> {
    const { ctx, queue, streamer } = this;
    const { locator } = ctx.options;
    const copies = file.remoteSize !== null && source !== null && (source !== target || file.metadataSeq > file.metadataSentSeq);
    if (!file.needsUpload && !copies) return "idle";
    // A file renamed away whose object has not moved yet still sits at the target (an editor's
    // save: rename a to a~, write a new a): writing there now would destroy it.
    const occupant = locator.occupant?.(target, file.id);
    if (occupant?.leaving) {
      queue.waitFor(occupant.id, file);
      return "waiting";
    }
    /** The object at `source`, as last seen: only that one is copied from and deleted. */
    const sourceEtag = file.etag ?? undefined;
    /** Where this pass puts the object: the target, or where its streamed parts are. */
    let key = target;
    let etag: string;
    if (file.needsUpload) {
      const streamed = await streamer.take(file, target);
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
        if (streamed) streamer.forget(file.id);
      }
      await ctx.locks.run([file.id], async () => this.uploaded(file, snapshot));
      if (streamed) etag = (await streamer.fixMetadata(file, key, streamed.metadata)) ?? etag;
      ctx.events.uploaded(key, snapshot.size);
    } else {
      // Renamed (bucket layout) or only its metadata changed: S3 copies the object itself.
      const metadataSeq = file.metadataSeq;
      ({ etag } = await ctx.options.backend.copy(source!, target, { metadata: await locator.metadata(file.id), sourceIfMatch: sourceEtag }));
      file.metadataSentSeq = metadataSeq;
      ctx.events.succeeded();
    }
    file.etag = etag;
    file.checkedAt = Date.now();
    if (file.deleted) {
      // Deleted while this ran: the delete took care of the old object, this new one is a stray.
      await queue.deleteUnlessOccupied(key, file.id, etag);
      return "done";
    }
    locator.settled(file.id, key, etag);
    if (source !== null && source !== key) await queue.removeOld(source, file.id, sourceEtag);
    return "done";
  }

  private async send(file: CachedFile, key: string, snapshot: Snapshot, sources: UploadSource[], partial?: PartialUpload): Promise<string> {
    const { ctx } = this;
    const progress: UploadInFlight = { key, bytes: snapshot.size, done: 0 };
    const controller = new AbortController();
    // Every part request of the upload listens to this one signal.
    setMaxListeners(0, controller.signal);
    file.uploading = controller;
    file.sinceSnapshot = { dirty: new RangeSet(), cap: Infinity };
    ctx.uploads.add(progress);
    ctx.events.statusChanged();
    const metadataSeq = file.metadataSeq;
    try {
      const { etag } = await ctx.options.backend.upload(key, sources, {
        metadata: await ctx.options.locator.metadata(file.id),
        signal: controller.signal,
        partial,
        onProgress: (done) => {
          progress.done = done;
          ctx.events.statusChanged();
        },
      });
      // A streamed object carries the metadata it began with; fixMetadata checks that.
      if (!partial) file.metadataSentSeq = metadataSeq;
      ctx.events.succeeded();
      return etag;
    } finally {
      ctx.uploads.delete(progress);
      file.uploading = null;
    }
  }

  /** The object as of the snapshot: dirty ranges from local files, the rest from the old object or zeros. */
  private plan(file: CachedFile, snapshot: Snapshot, key: string | null): UploadSource[] {
    const { segments } = this.ctx;
    const sources: UploadSource[] = [];
    const small = snapshot.size <= SMALL_OBJECT;
    const unchanged = (start: number, end: number) => {
      const remoteEnd = Math.min(end, snapshot.baseLimit);
      for (let at = start; at < remoteEnd; ) {
        // Small objects go up in one request: local bytes save a GET. Large ones copy server-side.
        const local = small || key === null ? file.present.within(at, remoteEnd)[0] : undefined;
        if (local && local.start === at) {
          sources.push(...segments.sources(file.id, local.start, local.end));
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
      sources.push(...segments.sources(file.id, range.start, range.end));
      at = range.end;
    }
    if (at < snapshot.size) unchanged(at, snapshot.size);
    return sources;
  }

  /** Under the file's lock: the remote object now holds the snapshot. */
  private uploaded(file: CachedFile, snapshot: Snapshot): void {
    const { ctx } = this;
    const since = file.sinceSnapshot ?? { dirty: new RangeSet(), cap: Infinity };
    file.sinceSnapshot = null;
    file.remoteSize = snapshot.size;
    file.baseCap = since.cap;
    ctx.dirtyBytes -= file.dirty.total;
    file.dirty = since.dirty;
    ctx.dirtyBytes += file.dirty.total;
    file.uploadedSeq = snapshot.seq;
    if (file.needsUpload) {
      if (file.journaled) ctx.persist(file);
    } else if (file.journaled) {
      ctx.journal.remove(file.id);
      file.journaled = false;
    }
    this.settleWaiters(file.id, file.needsUpload ? snapshot.seq : Infinity);
    this.madeRoom();
  }
}
