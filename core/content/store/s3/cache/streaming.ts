import { setMaxListeners } from "node:events";
import type { PartialUpload } from "./backend.js";
import type { CachedFile, Streaming } from "./cached-file.js";
import type { CacheContext } from "./context.js";

/** A new file written from its start gets parts uploaded while it grows once it holds this much. */
const STREAM_FROM = 32 * 2 ** 20;

/** The parts streamed so far, handed to the upload that finishes them. */
export interface Streamed {
  partial: PartialUpload;
  /** The metadata the object was begun with. */
  metadata: Record<string, string> | undefined;
}

/**
 * Streamed multipart uploads: a new file written sequentially from its start gets its parts sent
 * while it grows, so the upload at COMMIT has only the tail left. A write below what was sent
 * spoils the parts, and the upload then starts afresh.
 */
export class Streamer {
  constructor(
    private readonly ctx: CacheContext,
    private readonly resolve: (file: CachedFile) => Promise<void>,
  ) {}

  /** After a write: begins or advances the streaming of a new file written from its start. */
  streamAhead(file: CachedFile): void {
    const { ctx } = this;
    const { backend, locator } = ctx.options;
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
      streaming = this.start(file, key);
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
        .sendPart(start / partial.partSize + 1, ctx.segments.sources(file.id, start, start + partial.partSize), active.controller.signal)
        .then(
          () => {
            ctx.events.succeeded();
            active.progress.done = partial.bytesSent;
            ctx.events.statusChanged();
          },
          (err: unknown) => {
            // The final upload sends whatever did not go now.
            active.stopped = true;
            if (!active.controller.signal.aborted) ctx.events.failed(err, `uploading part of ${active.key}`);
          },
        )
        .finally(() => {
          active.sending.delete(sending);
          if (file.streaming === active) this.streamAhead(file);
        });
      streaming.sending.add(sending);
    }
  }

  /** Streaming is over without an upload to finish it: its parts are dropped. */
  async end(file: CachedFile): Promise<void> {
    const streaming = file.streaming;
    if (!streaming) return;
    file.streaming = null;
    streaming.spoiled = streaming.stopped = true;
    streaming.controller.abort();
    this.ctx.uploads.delete(streaming.progress);
    const partial = await streaming.started;
    await Promise.allSettled(streaming.sending);
    await partial?.abort();
    if (partial) this.forget(file.id);
  }

  /** The streamed upload of `id` was completed or aborted: a crash no longer leaves it behind. */
  forget(id: string): void {
    // After close the row stays; the next start aborts the upload again, harmlessly.
    if (!this.ctx.closed) this.ctx.journal.remove(streamRowId(id));
  }

  /**
   * Before an upload: the parts streamed so far, for it to finish, when they still hold the
   * file's bytes and belong where the upload goes.
   */
  async take(file: CachedFile, target: string): Promise<Streamed | null> {
    const streaming = file.streaming;
    if (!streaming) return null;
    // Writes below `through` still spoil it while the parts in flight finish.
    streaming.stopped = true;
    const partial = await streaming.started;
    await Promise.allSettled(streaming.sending);
    this.ctx.uploads.delete(streaming.progress);
    if (file.streaming !== streaming) return null;
    file.streaming = null;
    if (!partial) return null;
    const elsewhere = streaming.key !== target && (this.ctx.options.locator.claimedByOther?.(streaming.key, file.id) ?? true);
    if (streaming.spoiled || elsewhere || file.remoteSize !== null) {
      await partial.abort();
      this.forget(file.id);
      return null;
    }
    return { partial, metadata: streaming.metadata };
  }

  /**
   * A streamed object got the metadata of when it began; an owner or mode changed since is set
   * now (a copy onto itself). Returns the object's new ETag, or null when nothing changed.
   */
  async fixMetadata(file: CachedFile, key: string, begunWith: Record<string, string> | undefined): Promise<string | null> {
    const { ctx } = this;
    const metadataSeq = file.metadataSeq;
    const now = await ctx.options.locator.metadata(file.id);
    const { mtime: _mtime, ...rest } = now ?? {};
    if (now === undefined || JSON.stringify(rest) === JSON.stringify(begunWith ?? {})) {
      // The writes' mtimes are left to LastModified, as for any object a tool wrote without one.
      file.metadataSentSeq = metadataSeq;
      return null;
    }
    try {
      const { etag } = await ctx.options.backend.copy(key, key, { metadata: now });
      file.metadataSentSeq = metadataSeq;
      ctx.events.succeeded();
      return etag;
    } catch (err) {
      // The bytes are in place; the copy is retried as a metadata change, not as an upload.
      ctx.events.failed(err, `setting the metadata of ${key}`);
      return null;
    }
  }

  private start(file: CachedFile, key: string): Streaming {
    const { ctx } = this;
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
        const { mtime: _unknownYet, ...metadata } = (await ctx.options.locator.metadata(file.id)) ?? {};
        streaming.metadata = Object.keys(metadata).length > 0 ? metadata : undefined;
        const partial = await ctx.options.backend.begin!(key, { metadata: streaming.metadata });
        ctx.events.succeeded();
        if (file.streaming !== streaming || streaming.spoiled) {
          await partial.abort();
          return null;
        }
        streaming.partial = partial;
        // A crash before the upload completes leaves parts S3 would keep (and bill): the next start aborts them.
        ctx.journal.put(streamRowId(file.id), { action: "abort-upload", key, uploadId: partial.uploadId });
        ctx.uploads.add(streaming.progress);
        this.streamAhead(file);
        return partial;
      } catch (err) {
        streaming.stopped = true;
        ctx.events.failed(err, `beginning the upload of ${key}`);
        return null;
      }
    })();
    return streaming;
  }
}

/** The journal row of a file's streamed upload (never a content id: those are hex only). */
function streamRowId(id: string): string {
  return `stream_${id}`;
}
