import { fsError } from "../../../errors.js";
import type { ContentStore } from "../../store.js";
import { checkContentId, checkRange, checkReadInto, checkSize } from "../../validate.js";

/** Content is kept as a sparse map of chunks so that a write at 2^40 costs one small chunk. */
const CHUNK_SIZE = 1 << 20;

interface MemoryContent {
  size: number;
  /**
   * Chunk index → bytes of that chunk from its start. A chunk buffer may be shorter than
   * CHUNK_SIZE (it grows as writes reach further in); missing bytes and chunks read as zeros.
   * Invariant: every byte held at or beyond `size` is zero, so growing `size` exposes zeros.
   */
  chunks: Map<number, Buffer>;
}

export interface MemoryContentStoreOptions {
  /** Bytes the store may hold before writes fail with NoSpace; unbounded by default. */
  capacityBytes?: number;
}

/** Ephemeral content in RAM ("scratch space"); everything is lost when the process ends. */
export class MemoryContentStore implements ContentStore {
  readonly kind = "memory";
  private readonly contents = new Map<string, MemoryContent>();
  private readonly capacity: number;
  /** Bytes of chunk buffers held, what space() reports as used. */
  private allocated = 0;

  constructor(options: MemoryContentStoreOptions = {}) {
    this.capacity = options.capacityBytes ?? Infinity;
  }

  async read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    checkContentId(id);
    checkRange(offset, length);
    checkReadInto(into, length);
    const content = this.contents.get(id);
    if (!content || offset >= content.size || length === 0) return Buffer.alloc(0);
    const total = Math.min(length, content.size - offset);
    const out = into ? into.subarray(0, total) : Buffer.allocUnsafe(total);
    let done = 0;
    while (done < total) {
      const pos = offset + done;
      const index = Math.floor(pos / CHUNK_SIZE);
      const inChunk = pos - index * CHUNK_SIZE;
      const n = Math.min(CHUNK_SIZE - inChunk, total - done);
      const chunk = content.chunks.get(index);
      const have = chunk ? Math.max(0, Math.min(n, chunk.length - inChunk)) : 0;
      if (chunk && have > 0) chunk.copy(out, done, inChunk, inChunk + have);
      if (have < n) out.fill(0, done + have, done + n);
      done += n;
    }
    return out;
  }

  async write(id: string, offset: number, data: Buffer): Promise<void> {
    checkContentId(id);
    checkRange(offset, data.length);
    if (data.length === 0) return;
    const content = this.contentFor(id);
    // Check the space first so that a refused write leaves the content untouched.
    let growth = 0;
    this.forEachPiece(offset, data.length, (index, inChunk, n) => {
      const chunk = content.chunks.get(index);
      const needed = inChunk + n;
      if (!chunk || chunk.length < needed) growth += grownLength(chunk, needed) - (chunk?.length ?? 0);
    });
    if (this.allocated + growth > this.capacity) {
      throw fsError("NoSpace", `memory store is full (${this.allocated} of ${this.capacity} bytes used)`);
    }
    let done = 0;
    this.forEachPiece(offset, data.length, (index, inChunk, n) => {
      const chunk = this.chunkWithRoom(content, index, inChunk, n);
      data.copy(chunk, inChunk, done, done + n);
      done += n;
    });
    content.size = Math.max(content.size, offset + data.length);
  }

  async truncate(id: string, size: number): Promise<void> {
    checkContentId(id);
    checkSize(size);
    const content = this.contents.get(id);
    if (!content) {
      if (size > 0) this.contentFor(id).size = size;
      return;
    }
    if (size < content.size) {
      const keepChunks = Math.ceil(size / CHUNK_SIZE);
      for (const [index, chunk] of content.chunks) {
        if (index >= keepChunks) {
          content.chunks.delete(index);
          this.allocated -= chunk.length;
        }
      }
      const tail = content.chunks.get(Math.floor(size / CHUNK_SIZE));
      if (tail) tail.fill(0, size % CHUNK_SIZE);
    }
    content.size = size;
  }

  async size(id: string): Promise<number> {
    checkContentId(id);
    return this.contents.get(id)?.size ?? 0;
  }

  async sync(id: string): Promise<void> {
    checkContentId(id);
  }

  async delete(id: string): Promise<void> {
    checkContentId(id);
    const content = this.contents.get(id);
    if (!content) return;
    for (const chunk of content.chunks.values()) this.allocated -= chunk.length;
    this.contents.delete(id);
  }

  async space(): Promise<{ used: number; available: number }> {
    return { used: this.allocated, available: Math.max(0, this.capacity - this.allocated) };
  }

  async close(): Promise<void> {
    this.contents.clear();
    this.allocated = 0;
  }

  private contentFor(id: string): MemoryContent {
    let content = this.contents.get(id);
    if (!content) {
      content = { size: 0, chunks: new Map() };
      this.contents.set(id, content);
    }
    return content;
  }

  private forEachPiece(offset: number, length: number, visit: (index: number, inChunk: number, n: number) => void): void {
    let done = 0;
    while (done < length) {
      const pos = offset + done;
      const index = Math.floor(pos / CHUNK_SIZE);
      const inChunk = pos - index * CHUNK_SIZE;
      const n = Math.min(CHUNK_SIZE - inChunk, length - done);
      visit(index, inChunk, n);
      done += n;
    }
  }

  /** The chunk buffer for `index`, grown so that it holds bytes up to `inChunk + n`. */
  private chunkWithRoom(content: MemoryContent, index: number, inChunk: number, n: number): Buffer {
    const chunk = content.chunks.get(index);
    const needed = inChunk + n;
    if (chunk && chunk.length >= needed) return chunk;
    const length = grownLength(chunk, needed);
    const grown = Buffer.allocUnsafe(length);
    const kept = chunk?.length ?? 0;
    if (chunk) chunk.copy(grown, 0);
    // Only the bytes the caller will not overwrite need zeros.
    grown.fill(0, kept, Math.max(kept, inChunk));
    grown.fill(0, needed, length);
    content.chunks.set(index, grown);
    this.allocated += length - kept;
    return grown;
  }
}

/** Chunks grow geometrically (so appends in small pieces stay linear) up to CHUNK_SIZE. */
function grownLength(chunk: Buffer | undefined, needed: number): number {
  if (!chunk) return needed;
  return Math.min(CHUNK_SIZE, Math.max(needed, chunk.length * 2));
}
