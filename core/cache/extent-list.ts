import type { BufferPool } from "./buffer-pool.js";

/**
 * A run of cached bytes: file bytes [start, start + length) held in buf[0, length). The buffer
 * may be longer than `length` (capacity for appends). A reader may pin an extent while it
 * copies from it; a pinned extent's buffer goes back to the pool only after the last unpin.
 */
export class Extent {
  pins = 0;
  private retired = false;

  constructor(
    public start: number,
    public buf: Buffer,
    public length: number,
    private readonly pool: BufferPool,
  ) {}

  get end(): number {
    return this.start + this.length;
  }

  /** The bytes themselves (a view, valid until the extent is retired). */
  get data(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Copies the part of this extent inside [target's file offset, +target.length) into target. */
  copyInto(target: Buffer, targetOffset: number): void {
    const from = Math.max(this.start, targetOffset);
    const to = Math.min(this.end, targetOffset + target.length);
    if (from < to) this.buf.copy(target, from - targetOffset, from - this.start, to - this.start);
  }

  pin(): void {
    this.pins++;
  }

  unpin(): void {
    this.pins--;
    if (this.pins === 0 && this.retired) this.pool.give(this.buf);
  }

  /** The extent is no longer cached: its buffer may be reused once no reader holds it. */
  retire(): void {
    this.retired = true;
    if (this.pins === 0) this.pool.give(this.buf);
  }
}

/** A file range that a newer operation owns, for fillGaps. */
export interface Range {
  start: number;
  end: number;
}

/**
 * The dirty bytes of one file as sorted, non-overlapping extents. Writes coalesce with the
 * extents they overlap or touch (later bytes win); an extent grows up to `extentSize`, after
 * which the owner is expected to write it back. `held` counts buffer capacity, which is the
 * memory the list really keeps.
 */
export class ExtentList {
  private extents: Extent[] = [];
  private heldBytes = 0;

  constructor(
    private readonly pool: BufferPool,
    private readonly extentSize: number,
  ) {}

  get held(): number {
    return this.heldBytes;
  }

  get isEmpty(): boolean {
    return this.extents.length === 0;
  }

  get count(): number {
    return this.extents.length;
  }

  /** A snapshot of the extents in file order. */
  all(): Extent[] {
    return this.extents.slice();
  }

  /**
   * Copies `data` in at `offset` and returns the extent that now holds it. `sequential` says
   * the writer is streaming forward, so a new extent gets a full pooled buffer to grow into.
   */
  write(offset: number, data: Buffer, sequential: boolean): Extent {
    const end = offset + data.length;
    const i = this.firstEndingAtOrAfter(offset);
    let j = i;
    let overlaps = false;
    while (j < this.extents.length && this.extents[j]!.start <= end) {
      const e = this.extents[j]!;
      if (e.start < end && e.end > offset) overlaps = true;
      j++;
    }
    if (i === j) return this.insertNew(i, offset, data, sequential);

    const first = this.extents[i]!;
    const last = this.extents[j - 1]!;
    const start = Math.min(first.start, offset);
    const mergedEnd = Math.max(last.end, end);
    if (!overlaps && mergedEnd - start > this.extentSize) {
      // Only touching neighbours and merging would pass the extent size: append to the left
      // neighbour if its buffer has room, otherwise keep the write as its own extent.
      if (first.end === offset && first.buf.length - first.length >= data.length) {
        data.copy(first.buf, first.length);
        first.length += data.length;
        return first;
      }
      return this.insertNew(first.end === offset ? i + 1 : i, offset, data, first.end === offset);
    }

    let target: Extent;
    if (first.start === start && first.buf.length >= mergedEnd - start) {
      target = first;
    } else {
      const size = mergedEnd - start;
      const capacity = size > this.extentSize ? size : Math.min(this.extentSize, Math.max(size, 2 * first.buf.length));
      target = new Extent(start, this.allocate(capacity), 0, this.pool);
      first.copyInto(target.buf.subarray(0, size), start);
      this.forget(first);
    }
    for (let k = i + 1; k < j; k++) {
      const e = this.extents[k]!;
      e.copyInto(target.buf.subarray(0, mergedEnd - start), start);
      this.forget(e);
    }
    data.copy(target.buf, offset - start);
    target.length = mergedEnd - start;
    this.extents.splice(i, j - i, target);
    return target;
  }

  /**
   * Copies in only the parts of `data` (at `offset`) that neither this list nor `newer` covers:
   * used to put back bytes whose write-back failed without hiding anything written since.
   * Returns the number of bytes put back.
   */
  fillGaps(offset: number, data: Buffer, newer: Range[]): number {
    const end = offset + data.length;
    const covered: Range[] = [...this.overlapping(offset, end), ...newer.filter((r) => r.start < end && r.end > offset)];
    covered.sort((a, b) => a.start - b.start);
    let kept = 0;
    let at = offset;
    for (const r of covered) {
      if (at >= end) break;
      if (r.start > at) {
        const gapEnd = Math.min(r.start, end);
        this.write(at, data.subarray(at - offset, gapEnd - offset), false);
        kept += gapEnd - at;
      }
      at = Math.max(at, r.end);
    }
    if (at < end) {
      this.write(at, data.subarray(at - offset), false);
      kept += end - at;
    }
    return kept;
  }

  /** Extents that overlap [start, end), in file order, still in the list. */
  overlapping(start: number, end: number): Extent[] {
    const found: Extent[] = [];
    for (let k = this.firstEndingAtOrAfter(start); k < this.extents.length; k++) {
      const e = this.extents[k]!;
      if (e.start >= end) break;
      if (e.end > start) found.push(e);
    }
    return found;
  }

  /** Removes and returns the extents overlapping [start, end). */
  takeOverlapping(start: number, end: number): Extent[] {
    const taken = this.overlapping(start, end);
    for (const e of taken) this.remove(e);
    return taken;
  }

  takeAll(): Extent[] {
    const taken = this.extents;
    this.extents = [];
    this.heldBytes = 0;
    return taken;
  }

  /** Removes an extent (still valid for its new owner, e.g. a write-back in flight). */
  remove(extent: Extent): void {
    const k = this.extents.indexOf(extent);
    if (k < 0) return;
    this.extents.splice(k, 1);
    this.heldBytes -= extent.buf.length;
  }

  /** Drops every byte at or beyond `size`. */
  truncate(size: number): void {
    while (this.extents.length > 0) {
      const last = this.extents[this.extents.length - 1]!;
      if (last.end <= size) return;
      if (last.start < size) {
        last.length = size - last.start;
        return;
      }
      this.extents.pop();
      this.forget(last);
    }
  }

  /** Drops everything. */
  clear(): void {
    for (const e of this.takeAll()) e.retire();
  }

  private insertNew(index: number, offset: number, data: Buffer, sequential: boolean): Extent {
    const capacity = sequential && data.length < this.extentSize ? this.extentSize : data.length;
    const extent = new Extent(offset, this.allocate(capacity), data.length, this.pool);
    data.copy(extent.buf, 0);
    this.extents.splice(index, 0, extent);
    return extent;
  }

  private allocate(capacity: number): Buffer {
    this.heldBytes += capacity;
    return capacity === this.pool.bufferSize ? this.pool.take() : Buffer.allocUnsafe(capacity);
  }

  private forget(extent: Extent): void {
    this.heldBytes -= extent.buf.length;
    extent.retire();
  }

  /** Index of the first extent whose end is at or after `offset` (binary search). */
  private firstEndingAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.extents.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.extents[mid]!.end < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
