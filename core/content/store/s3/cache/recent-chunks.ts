import { BufferPool } from "../../../../cache/buffer-pool.js";
import type { CachedFile } from "./cached-file.js";

/** Remote bytes are fetched in aligned chunks of this size. */
export const CHUNK_SIZE = 4 * 2 ** 20;
const IDLE_FETCH_BUFFERS = 4;

/**
 * Chunks just fetched, held in memory for the reader waiting for them (CachedFile.recent), so it
 * copies from there instead of reading the segment back; at most `max` at once, oldest out first.
 */
export class RecentChunks {
  /** One chunk each, for GETs and the chunks held for readers. A few idle ones are kept for the next reader; the rest go back to the system. */
  readonly buffers = new BufferPool(CHUNK_SIZE, IDLE_FETCH_BUFFERS);
  /** Files with fetched chunks held in memory, oldest first. */
  private readonly held: Array<{ file: CachedFile; chunk: number }> = [];

  constructor(private readonly max: number) {}

  /** Holds a fetched chunk's buffer for readers; the oldest held chunk goes back to the pool. */
  keep(file: CachedFile, chunk: number, buffer: Buffer, length: number): boolean {
    if (file.recent.has(chunk)) return false;
    file.recent.set(chunk, { buffer, length });
    this.held.push({ file, chunk });
    if (this.held.length > this.max) {
      const oldest = this.held[0]!;
      this.release(oldest.file, oldest.chunk);
    }
    return true;
  }

  /** Gives back the buffers of `file`'s held chunks (one, or all): its bytes changed or were read. */
  release(file: CachedFile, chunk?: number): void {
    if (file.recent.size === 0) return;
    for (const [held, { buffer }] of [...file.recent]) {
      if (chunk !== undefined && held !== chunk) continue;
      file.recent.delete(held);
      const index = this.held.findIndex((entry) => entry.file === file && entry.chunk === held);
      if (index >= 0) this.held.splice(index, 1);
      this.buffers.give(buffer);
    }
  }
}
