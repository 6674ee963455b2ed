import type { CachedFile } from "./cached-file.js";
import type { CacheContext } from "./context.js";
import type { Room } from "./eviction.js";
import { CHUNK_SIZE, type RecentChunks } from "./recent-chunks.js";

/**
 * Reads through the cache: remote bytes are fetched in aligned chunks and kept, sequential
 * readers get chunks fetched ahead in parallel, and a clean file read again after a while is
 * checked against its object first (another server or tool may have rewritten it).
 */
export class ReadCache {
  constructor(
    private readonly ctx: CacheContext,
    private readonly recent: RecentChunks,
    private readonly room: Room,
  ) {}

  async read(file: CachedFile, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const { ctx } = this;
    file.readers++;
    try {
      if (!file.known) await this.resolve(file);
      else if (Date.now() - file.checkedAt > ctx.options.revalidateAfterMs && !ctx.hasLocalWork(file)) await this.revalidate(file);
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

  /** Asks the remote store for the object's size (once per file). */
  resolve(file: CachedFile): Promise<void> {
    const { ctx } = this;
    file.resolving ??= (async () => {
      const key = ctx.options.locator.current(file.id);
      try {
        const object = key === null ? null : await ctx.options.backend.head(key);
        ctx.events.succeeded();
        file.remoteSize = object?.size ?? null;
        file.etag = object?.etag ?? null;
        file.checkedAt = Date.now();
        if (!file.truncated) file.size = Math.max(file.size, object?.size ?? 0);
        if (object) ctx.options.locator.described?.(file.id, object);
      } catch (err) {
        throw ctx.events.failed(err, `looking up ${key}`);
      } finally {
        file.resolving = null;
      }
    })();
    return file.resolving;
  }

  /** The object of a file without local changes is now another one: what is cached of the old one goes. */
  async replaced(file: CachedFile, size: number | null, etag: string | null): Promise<void> {
    const { ctx } = this;
    await ctx.locks.run([file.id], async () => {
      if (file.deleted || ctx.hasLocalWork(file)) return;
      this.recent.release(file);
      await ctx.segments.dropAll(file.id, file.localEnd);
      ctx.localBytes -= file.present.total;
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

  /**
   * Checks a clean cached file against its object: rewritten elsewhere (another server on the
   * same bucket, another tool), its cached bytes are dropped. Offline, the cached bytes are served.
   */
  private revalidate(file: CachedFile): Promise<void> {
    const { ctx } = this;
    file.revalidating ??= (async () => {
      const key = ctx.options.locator.current(file.id);
      try {
        const object = key === null ? null : await ctx.options.backend.head(key);
        ctx.events.succeeded();
        file.checkedAt = Date.now();
        if ((object?.etag ?? null) !== file.etag) {
          await this.replaced(file, object?.size ?? null, object?.etag ?? null);
          if (object) ctx.options.locator.described?.(file.id, object);
        }
      } catch (err) {
        ctx.events.failed(err, `checking ${key}`);
        file.checkedAt = Date.now();
      } finally {
        file.revalidating = null;
      }
    })();
    return file.revalidating;
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
        if (until === chunkStart + held.length) this.recent.release(file, chunk);
      } else {
        await this.ctx.segments.read(file.id, at, into.subarray(at - start, until - start));
      }
      at = until;
    }
  }

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
    const { ctx } = this;
    const key = ctx.options.locator.current(file.id);
    if (key === null) return;
    for (const gap of file.present.missing(start, end)) {
      // Pooled: a cold read of a large file would otherwise leave a chunk-sized buffer per GET to the GC.
      const buffer = this.recent.buffers.take();
      let kept = false;
      try {
        const length = gap.end - gap.start;
        let got: number;
        try {
          got = await ctx.options.backend.read(key, gap.start, length, buffer);
          ctx.events.succeeded();
        } catch (err) {
          throw ctx.events.failed(err, `reading ${key}`);
        }
        await this.room.evictFor(got);
        await ctx.locks.run([file.id], async () => {
          if (file.deleted || ctx.closed) return;
          // Bytes written (or truncated away) while the GET was out are newer than the remote ones.
          const holes = file.present.missing(gap.start, Math.min(gap.start + got, file.baseLimit));
          for (const hole of holes) {
            await ctx.segments.write(file.id, hole.start, buffer.subarray(hole.start - gap.start, hole.end - gap.start));
            ctx.addPresent(file, hole.start, hole.end);
          }
          // A whole chunk that matches its segment stays in memory for the reader waiting for it.
          const whole = holes.length === 1 && holes[0]!.start === start && holes[0]!.end === gap.start + got && gap.start === start;
          if (whole && start % CHUNK_SIZE === 0 && got > 0) kept = this.recent.keep(file, start / CHUNK_SIZE, buffer, got);
        });
      } finally {
        if (!kept) this.recent.buffers.give(buffer);
      }
    }
  }

  private readAhead(file: CachedFile, offset: number, end: number): void {
    const { options } = this.ctx;
    const sequential = offset === file.nextRead;
    file.nextRead = end;
    if (!sequential || options.readAheadChunks === 0) return;
    const until = Math.min(end + options.readAheadChunks * CHUNK_SIZE, file.baseLimit);
    for (let chunk = Math.floor(end / CHUNK_SIZE); chunk * CHUNK_SIZE < until; chunk++) {
      this.fetchChunk(file, chunk).catch((err: unknown) => options.logger.debug({ err }, "read-ahead failed"));
    }
  }
}
