import { LAST_FRAGMENT, MAX_FRAGMENT_BYTES } from "./constants.js";

/**
 * Record marking for RPC over TCP (RFC 5531 §11): each record is a sequence of fragments, each
 * preceded by a 4-byte header whose high bit flags the last fragment and whose low 31 bits
 * give the fragment's length.
 */

/** The header word of a single-fragment record of `length` bytes. */
export function recordMarkWord(length: number): number {
  if (length > MAX_FRAGMENT_BYTES) throw new RangeError(`record of ${length} bytes exceeds one fragment`);
  return (LAST_FRAGMENT | length) >>> 0;
}

/** The 4-byte header of a single-fragment record of `length` bytes. */
export function recordMark(length: number): Buffer {
  const mark = Buffer.allocUnsafe(4);
  mark.writeUInt32BE(recordMarkWord(length), 0);
  return mark;
}

export class RecordTooLargeError extends Error {
  override name = "RecordTooLargeError";
}

/**
 * Reassembles records from socket chunks. Chunks are kept as a list and only copied when a
 * fragment spans chunks or a record has several fragments; a single-fragment record inside one
 * chunk comes back as a view of that chunk. Pull-based, so the caller decides how many records
 * to start (back-pressure): `push` chunks as they arrive, then call `next` until it returns null.
 */
export class RecordAssembler {
  private readonly chunks: Buffer[] = [];
  /** Read offset into chunks[0]. */
  private head = 0;
  private buffered = 0;
  /** Length of the fragment being waited for, or -1 while its header is still to come. */
  private fragmentLength = -1;
  private lastFragment = false;
  /** Earlier fragments of the current record. */
  private parts: Buffer[] = [];
  private recordBytes = 0;

  /**
   * `allocate` provides the buffer a record is copied into when it spans chunks (the caller may
   * hand out reused buffers, and take them back once it is done with the record).
   */
  constructor(
    private readonly maxRecordBytes: number,
    private readonly allocate: (bytes: number) => Buffer = Buffer.allocUnsafe,
  ) {}

  /** True when bytes of an incomplete record are held (a peer that closes now cut a record). */
  get partial(): boolean {
    return this.buffered > 0 || this.fragmentLength >= 0 || this.parts.length > 0;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete record, or null until more bytes arrive. Throws RecordTooLargeError as
   * soon as a fragment header announces a record over the limit; the stream cannot be
   * resynchronised after that, so the caller must drop the connection.
   */
  next(): Buffer | null {
    for (;;) {
      if (this.fragmentLength < 0) {
        if (this.buffered < 4) return null;
        const header = this.readHeader();
        this.lastFragment = (header & LAST_FRAGMENT) !== 0;
        this.fragmentLength = header & MAX_FRAGMENT_BYTES;
        if (this.recordBytes + this.fragmentLength > this.maxRecordBytes) {
          throw new RecordTooLargeError(
            `RPC record of at least ${this.recordBytes + this.fragmentLength} bytes exceeds the limit of ${this.maxRecordBytes}`,
          );
        }
      }
      if (this.buffered < this.fragmentLength) return null;

      const fragment = this.take(this.fragmentLength);
      this.fragmentLength = -1;
      this.recordBytes += fragment.length;
      if (!this.lastFragment) {
        if (fragment.length > 0) this.parts.push(fragment);
        continue;
      }
      if (this.parts.length === 0) {
        this.recordBytes = 0;
        return fragment;
      }
      this.parts.push(fragment);
      const record = Buffer.concat(this.parts, this.recordBytes);
      this.parts = [];
      this.recordBytes = 0;
      return record;
    }
  }

  private readHeader(): number {
    const first = this.chunks[0]!;
    if (first.length - this.head >= 4) {
      const header = first.readUInt32BE(this.head);
      this.advance(4);
      return header;
    }
    return this.take(4).readUInt32BE(0);
  }

  /** `n` buffered bytes: a view when they lie in one chunk, a copy otherwise. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (n === 0 || !first) return Buffer.alloc(0);
    if (first.length - this.head >= n) {
      const view = first.subarray(this.head, this.head + n);
      this.advance(n);
      return view;
    }
    const out = this.allocate(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const count = Math.min(chunk.length - this.head, n - filled);
      chunk.copy(out, filled, this.head, this.head + count);
      filled += count;
      this.advance(count);
    }
    return out;
  }

  private advance(n: number): void {
    this.head += n;
    this.buffered -= n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
