import type { ContentStore } from "../content/store.js";

/** Reads `length` bytes at `offset` into `into` (the result is a view of its start). */
export type RangeReader = (store: ContentStore, id: string, offset: number, length: number, into: Buffer) => Promise<Buffer>;

export interface ReadAheadOptions {
  /** Prefetched buffers held at once over all files (default 4); the least recently used go first. */
  maxBuffers?: number;
  /** Files whose read position is remembered (default 64). */
  maxStreams?: number;
  /** A prefetched buffer nobody asked for within this long is dropped (default 2 s). */
  idleMs?: number;
}

export interface ReadAheadStats {
  /** Prefetches started. */
  started: number;
  /** Reads served from a prefetched buffer. */
  hits: number;
  /** Prefetched buffers held right now (in flight or ready). */
  buffers: number;
}

/** A read that hands buffers around by reference: `data` is a view of `buffer`, which the caller now owns. */
export interface ExchangedRead {
  data: Buffer;
  buffer: Buffer;
}

const DEFAULT_MAX_BUFFERS = 4;
const DEFAULT_MAX_STREAMS = 64;
const DEFAULT_IDLE_MS = 2000;

interface Prefetch {
  readonly offset: number;
  readonly length: number;
  readonly buffer: Buffer;
  /** The bytes read (a view of `buffer`), or null when the read failed. */
  readonly result: Promise<Buffer | null>;
}

interface Stream {
  readonly store: ContentStore;
  /** End of the last read: a read that starts here continues the stream. */
  nextOffset: number;
  prefetch: Prefetch | null;
  /** Set when the file changed (or the stream was evicted): anything read for it is stale. */
  dropped: boolean;
  /** performance.now() of the last read, for the idle sweep. */
  touched: number;
}

/**
 * Read-ahead for sequential reads, per content id. A read that starts where the previous read
 * of the file ended starts reading the next range of the same size in the background, into a
 * buffer of its own; the next read of exactly that range takes the prefetched buffer by
 * exchange (no copy) and leaves its own buffer for the following prefetch. Any other read of
 * the file drops the prefetch, so random reads neither start nor keep one. Clients that keep
 * one READ outstanding (libnfs nfs-cp) then no longer wait on the store for each request.
 *
 * Correctness rests on invalidate(): the ContentService calls it before and after every write,
 * truncate and delete, so a prefetch started before a change finished is never served after it.
 * Prefetches read through the write cache, so they already see cached (dirty) bytes.
 */
export class ReadAhead {
  /** Streams in least-recently-read-first order. */
  private readonly streams = new Map<string, Stream>();
  private readonly maxBuffers: number;
  private readonly maxStreams: number;
  private readonly idleMs: number;
  private buffers = 0;
  private started = 0;
  private hits = 0;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly readRange: RangeReader,
    options: ReadAheadOptions = {},
  ) {
    this.maxBuffers = options.maxBuffers ?? DEFAULT_MAX_BUFFERS;
    this.maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  stats(): ReadAheadStats {
    return { started: this.started, hits: this.hits, buffers: this.buffers };
  }

  /**
   * `length` bytes at `offset` (fewer at the end of the content), in `into` or in a prefetched
   * buffer of the same size that replaces it: the caller owns the returned `buffer` and no
   * longer `into` when they differ.
   */
  async read(store: ContentStore, id: string, offset: number, length: number, into: Buffer): Promise<ExchangedRead> {
    let stream = this.streams.get(id);
    if (stream && stream.store !== store) {
      this.drop(id, stream);
      stream = undefined;
    }
    const sequential = stream !== undefined && stream.nextOffset === offset && length > 0;
    const prefetch = stream?.prefetch;
    let claimed: Prefetch | null = null;
    if (stream && prefetch) {
      // Taken by a read of its range; dropped by any other read (the stream moved elsewhere).
      stream.prefetch = null;
      this.buffers--;
      const fits = prefetch.offset === offset && prefetch.length >= length && prefetch.buffer.length === into.length;
      if (sequential && fits) claimed = prefetch;
    }
    stream = this.touch(store, id, stream);
    stream.nextOffset = offset + length;
    if (claimed) {
      const owner = stream;
      const got = await claimed.result;
      if (got !== null && !owner.dropped) {
        this.hits++;
        // `into` is free now: it carries the next prefetch, unless another read moved the stream on.
        if (owner.prefetch === null && owner.nextOffset === offset + length) {
          this.startPrefetch(id, owner, offset + length, length, into);
        }
        return { data: got.length > length ? got.subarray(0, length) : got, buffer: claimed.buffer };
      }
      // Stale or failed: read it again below, into the caller's own buffer.
    } else if (sequential) {
      this.startPrefetch(id, stream, offset + length, length, Buffer.allocUnsafeSlow(into.length));
    }
    return { data: await this.readRange(store, id, offset, length, into), buffer: into };
  }

  /** Forgets the file's read position and prefetched data: call around every change of its content. */
  invalidate(id: string): void {
    const stream = this.streams.get(id);
    if (stream) this.drop(id, stream);
  }

  private touch(store: ContentStore, id: string, stream: Stream | undefined): Stream {
    if (stream) {
      // Move to the most recently used end.
      this.streams.delete(id);
    } else {
      stream = { store, nextOffset: -1, prefetch: null, dropped: false, touched: 0 };
      for (const [oldId, old] of this.streams) {
        if (this.streams.size < this.maxStreams) break;
        this.drop(oldId, old);
      }
    }
    stream.touched = performance.now();
    this.streams.set(id, stream);
    return stream;
  }

  private startPrefetch(id: string, stream: Stream, offset: number, length: number, buffer: Buffer): void {
    if (this.buffers >= this.maxBuffers) this.evictOldestPrefetch();
    const result = this.readRange(stream.store, id, offset, length, buffer).then(
      (data) => data,
      () => null,
    );
    stream.prefetch = { offset, length, buffer, result };
    this.buffers++;
    this.started++;
    this.scheduleSweep();
  }

  private evictOldestPrefetch(): void {
    for (const stream of this.streams.values()) {
      if (!stream.prefetch) continue;
      stream.prefetch = null;
      this.buffers--;
      return;
    }
  }

  private drop(id: string, stream: Stream): void {
    stream.dropped = true;
    if (stream.prefetch) {
      stream.prefetch = null;
      this.buffers--;
    }
    this.streams.delete(id);
  }

  /** While any buffer is held, an unref'd timer drops those of streams idle for idleMs. */
  private scheduleSweep(): void {
    if (this.sweepTimer !== null) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = null;
      const idleSince = performance.now() - this.idleMs;
      for (const stream of this.streams.values()) {
        if (stream.prefetch && stream.touched <= idleSince) {
          stream.prefetch = null;
          this.buffers--;
        }
      }
      if (this.buffers > 0) this.scheduleSweep();
    }, this.idleMs).unref();
  }
}
