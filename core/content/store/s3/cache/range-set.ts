import type { Range } from "../../../../cache/extent-list.js";

/**
 * A set of byte positions as sorted, disjoint, non-touching [start, end) ranges: which bytes of a
 * file the disk cache holds, which of them still have to be uploaded. `total` is kept up to date
 * so that the cache can account for its size without walking every file.
 */
export class RangeSet {
  private ranges: Range[] = [];
  private bytes = 0;

  static of(ranges: readonly Range[]): RangeSet {
    const set = new RangeSet();
    for (const range of ranges) set.add(range.start, range.end);
    return set;
  }

  get total(): number {
    return this.bytes;
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** The ranges, in order (copies: the set stays unchanged whatever the caller does). */
  list(): Range[] {
    return this.ranges.map((range) => ({ ...range }));
  }

  clone(): RangeSet {
    const copy = new RangeSet();
    copy.ranges = this.list();
    copy.bytes = this.bytes;
    return copy;
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    // Every range touching [start, end) merges into it.
    const first = this.firstEndingAtOrAfter(start);
    let last = first;
    while (last < this.ranges.length && this.ranges[last]!.start <= end) last++;
    if (first < last) {
      start = Math.min(start, this.ranges[first]!.start);
      end = Math.max(end, this.ranges[last - 1]!.end);
    }
    for (let i = first; i < last; i++) this.bytes -= this.ranges[i]!.end - this.ranges[i]!.start;
    this.ranges.splice(first, last - first, { start, end });
    this.bytes += end - start;
  }

  remove(start: number, end: number): void {
    if (end <= start) return;
    const replaced: Range[] = [];
    const first = this.firstEndingAtOrAfter(start + 1);
    let last = first;
    while (last < this.ranges.length && this.ranges[last]!.start < end) {
      const range = this.ranges[last]!;
      this.bytes -= range.end - range.start;
      if (range.start < start) replaced.push({ start: range.start, end: start });
      if (range.end > end) replaced.push({ start: end, end: range.end });
      last++;
    }
    for (const range of replaced) this.bytes += range.end - range.start;
    this.ranges.splice(first, last - first, ...replaced);
  }

  /** Drops everything at or beyond `size`. */
  clip(size: number): void {
    this.remove(size, Number.MAX_SAFE_INTEGER);
  }

  clear(): void {
    this.ranges = [];
    this.bytes = 0;
  }

  /** True when every byte of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    const index = this.firstEndingAtOrAfter(start + 1);
    const range = this.ranges[index];
    return range !== undefined && range.start <= start && range.end >= end;
  }

  /** True when any byte of [start, end) is in the set. */
  overlaps(start: number, end: number): boolean {
    if (end <= start) return false;
    const range = this.ranges[this.firstEndingAtOrAfter(start + 1)];
    return range !== undefined && range.start < end;
  }

  /** The parts of [start, end) in the set, in order. */
  within(start: number, end: number): Range[] {
    const parts: Range[] = [];
    for (let i = this.firstEndingAtOrAfter(start + 1); i < this.ranges.length; i++) {
      const range = this.ranges[i]!;
      if (range.start >= end) break;
      parts.push({ start: Math.max(start, range.start), end: Math.min(end, range.end) });
    }
    return parts;
  }

  /** The parts of [start, end) not in the set, in order. */
  missing(start: number, end: number): Range[] {
    const gaps: Range[] = [];
    let at = start;
    for (const part of this.within(start, end)) {
      if (part.start > at) gaps.push({ start: at, end: part.start });
      at = part.end;
    }
    if (at < end) gaps.push({ start: at, end });
    return gaps;
  }

  /** Bytes of [start, end) in the set. */
  countWithin(start: number, end: number): number {
    let count = 0;
    for (const part of this.within(start, end)) count += part.end - part.start;
    return count;
  }

  /** Index of the first range whose end is at or after `offset` (binary search). */
  private firstEndingAtOrAfter(offset: number): number {
    let low = 0;
    let high = this.ranges.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.ranges[mid]!.end < offset) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
