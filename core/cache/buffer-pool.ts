/**
 * A free list of equal-sized buffers for the write cache, so that a steady stream of writes
 * reuses a handful of chunks instead of allocating (and later collecting) one per extent.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly bufferSize: number,
    private readonly maxIdle: number,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferSize);
  }

  /** Hands a buffer back; buffers of another size, or beyond maxIdle, are left to the GC. */
  give(buffer: Buffer): void {
    if (buffer.length === this.bufferSize && buffer.buffer.byteLength === this.bufferSize && this.free.length < this.maxIdle) {
      this.free.push(buffer);
    }
  }

  get idle(): number {
    return this.free.length;
  }
}
