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

/** The peer's record marking cannot be followed: the connection must be dropped. */
export class RecordFramingError extends Error {
  override name = "RecordFramingError";
}

export class RecordTooLargeError extends RecordFramingError {
  override name = "RecordTooLargeError";
}

export class TooManyFragmentsError extends RecordFramingError {
  override name = "TooManyFragmentsError";
}

/**
 * Fragments one record may have: a 1 MiB WRITE in fragments of 1 KiB, a quarter of the 4000-byte
 * fragments of the oldest Sun RPC clients. Real clients send one fragment per record.
 */
export const DEFAULT_MAX_FRAGMENTS = 1024;
/** Smallest buffer a record of several fragments is copied into. */
const MIN_RECORD_BUFFER = 4096;

/**
 * Reassembles records from socket chunks. A single-fragment record inside one chunk comes back
 * as a view of that chunk (no copy). Anything else is copied, as its bytes arrive, into one
 * record buffer: exactly sized for a single fragment, grown by doubling (up to the record limit)
 * for a record of several fragments. So what a connection holds is bounded by the record limit
 * however the peer slices its bytes, and a cap on fragments per record stops a peer that sends
 * endless tiny or empty fragments. Pull-based, so the caller decides how many records to start
 * (back-pressure): `push` chunks as they arrive, then call `next` until it returns null.
 */
export class RecordAssembler {
  private readonly chunks: Buffer[] = [];
  /** Read offset into chunks[0]. */
  private head = 0;
  private buffered = 0;
  /** Bytes of the current fragment still to come, or -1 while its header is still to come. */
  private fragmentRemaining = -1;
  private lastFragment = false;
  /** Fragments of the current record so far. */
  private fragments = 0;
  /** The record being copied together, and how much of it is filled. */
  private record: Buffer | null = null;
  private filled = 0;

  /**
   * `allocate` provides the buffer a single-fragment record is copied into when it spans chunks
   * (the caller may hand out reused buffers, and take them back once it is done with the record).
   */
  constructor(
    private readonly maxRecordBytes: number,
    private readonly allocate: (bytes: number) => Buffer = Buffer.allocUnsafe,
    private readonly maxFragments = DEFAULT_MAX_FRAGMENTS,
  ) {}

  /** True when bytes of an incomplete record are held (a peer that closes now cut a record). */
  get partial(): boolean {
    return this.buffered > 0 || this.fragmentRemaining >= 0 || this.fragments > 0;
  }

  /** Bytes this assembler keeps alive: unread chunk bytes and the record buffer being filled. */
  get heldBytes(): number {
    return this.buffered + (this.record?.length ?? 0);
  }

  /** Drops everything held (the connection is gone). */
  discard(): void {
    this.chunks.length = 0;
    this.head = 0;
    this.buffered = 0;
    this.finishRecord(Buffer.alloc(0));
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete record, or null until more bytes arrive. Throws a RecordFramingError as
   * soon as a fragment header announces a record over the limit or one fragment too many; the
   * stream cannot be resynchronised after that, so the caller must drop the connection.
   */
  next(): Buffer | null {
    for (;;) {
      if (this.fragmentRemaining < 0) {
        if (this.buffered < 4) return null;
        this.startFragment(this.readHeader());
      }
      if (this.record === null && this.lastFragment) {
        // A record of one fragment: a view when it lies inside the first chunk.
        const first = this.chunks[0];
        if (this.fragmentRemaining === 0) return this.finishRecord(Buffer.alloc(0));
        if (first && first.length - this.head >= this.fragmentRemaining) {
          return this.finishRecord(this.take(this.fragmentRemaining));
        }
        if (this.buffered === 0) return null;
        this.record = this.allocate(this.fragmentRemaining);
      }
      if (this.fragmentRemaining > 0) {
        if (this.buffered === 0) return null;
        this.reserve(this.filled + this.fragmentRemaining);
        const count = this.copyInto(this.record!, this.filled, Math.min(this.buffered, this.fragmentRemaining));
        this.filled += count;
        this.fragmentRemaining -= count;
        if (this.fragmentRemaining > 0) return null;
      }
      this.fragmentRemaining = -1;
      if (this.lastFragment) return this.finishRecord(this.filledRecord());
    }
  }

  private startFragment(header: number): void {
    const length = header & MAX_FRAGMENT_BYTES;
    if (++this.fragments > this.maxFragments) {
      throw new TooManyFragmentsError(`RPC record of more than ${this.maxFragments} fragments`);
    }
    if (this.filled + length > this.maxRecordBytes) {
      throw new RecordTooLargeError(
        `RPC record of at least ${this.filled + length} bytes exceeds the limit of ${this.maxRecordBytes}`,
      );
    }
    this.lastFragment = (header & LAST_FRAGMENT) !== 0;
    this.fragmentRemaining = length;
  }

  /** The record buffer's filled part: the buffer itself when exactly filled (the caller may know it). */
  private filledRecord(): Buffer {
    const record = this.record;
    if (!record) return Buffer.alloc(0);
    return record.length === this.filled ? record : record.subarray(0, this.filled);
  }

  private finishRecord(record: Buffer): Buffer {
    this.fragmentRemaining = -1;
    this.fragments = 0;
    this.record = null;
    this.filled = 0;
    return record;
  }

  /** Makes the record buffer hold at least `bytes`, doubling so that many fragments copy little. */
  private reserve(bytes: number): void {
    const current = this.record;
    if (current && current.length >= bytes) return;
    const grown = Math.min(this.maxRecordBytes, Math.max(bytes, MIN_RECORD_BUFFER, (current?.length ?? 0) * 2));
    const next = Buffer.allocUnsafe(grown);
    if (current) current.copy(next, 0, 0, this.filled);
    this.record = next;
  }

  private readHeader(): number {
    const first = this.chunks[0]!;
    if (first.length - this.head >= 4) {
      const header = first.readUInt32BE(this.head);
      this.advance(4);
      return header;
    }
    const header = Buffer.allocUnsafe(4);
    this.copyInto(header, 0, 4);
    return header.readUInt32BE(0);
  }

  /** `n` bytes lying inside the first chunk, as a view. */
  private take(n: number): Buffer {
    const view = this.chunks[0]!.subarray(this.head, this.head + n);
    this.advance(n);
    return view;
  }

  /** Moves `n` buffered bytes into `target` at `offset`; returns n. */
  private copyInto(target: Buffer, offset: number, n: number): number {
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const count = Math.min(chunk.length - this.head, n - filled);
      chunk.copy(target, offset + filled, this.head, this.head + count);
      filled += count;
      this.advance(count);
    }
    return n;
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
