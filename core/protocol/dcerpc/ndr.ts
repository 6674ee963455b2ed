/**
 * The few pieces of NDR (transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0, C706 ch. 14)
 * that the srvsvc calls need: aligned little-endian primitives, unique/ref pointers with referent
 * ids, conformant varying UTF-16 strings and conformant arrays. Alignment is relative to the start
 * of the stub data (C706 §14.2.2), which the reader and writer take as their offset 0.
 *
 * Only little-endian integers and ASCII characters are decoded (the data representation the PDU
 * codec accepts). Deferred pointer data (C706 §14.3.12.3) is the caller's job: the call codecs read
 * and write a construct's scalars first, then the referents of its embedded pointers, in order.
 * Any malformed stub throws NdrError, which the pipe answers with a FAULT (nca_s_fault_ndr).
 */
export class NdrError extends Error {
  override name = "NdrError";
}

/** The NDR 2.0 transfer syntax (C706 Appendix I). */
export const NDR_SYNTAX_UUID = "8a885d04-1ceb-11c9-9fe8-08002b104860";

export class NdrReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    private readonly start = 0,
    private readonly end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) throw new RangeError("NDR reader outside its buffer");
    this.pos = start;
  }

  /** Offset from the start of the stub. */
  get offset(): number {
    return this.pos - this.start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    if (n > this.end - this.pos) {
      throw new NdrError(`truncated NDR: need ${n} bytes at stub offset ${this.offset}, have ${this.end - this.pos}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Skips the padding that brings the stub offset to a multiple of `n` (1, 2, 4 or 8). */
  align(n: number): this {
    const pad = (n - (this.offset % n)) % n;
    if (pad) this.need(pad);
    return this;
  }

  u8(): number {
    return this.buf[this.need(1)]!;
  }

  u16(): number {
    this.align(2);
    return this.buf.readUInt16LE(this.need(2));
  }

  u32(): number {
    this.align(4);
    return this.buf.readUInt32LE(this.need(4));
  }

  /**
   * A unique or full pointer's referent id (C706 §14.3.10): 0 for null. Top-level [ref] pointers
   * have no representation of their own: callers read the referent directly.
   */
  pointer(): number {
    return this.u32();
  }

  /**
   * The maximum count of a conformant array (C706 §14.3.3.2) whose `elementSize`-byte elements
   * must then follow: refused when larger than `max` or than what the stub still holds.
   */
  conformantCount(elementSize: number, max: number): number {
    const count = this.u32();
    if (count > max) throw new NdrError(`NDR array of ${count} elements exceeds limit ${max}`);
    if (count * elementSize > this.remaining) {
      throw new NdrError(`NDR array of ${count} elements of ${elementSize} bytes exceeds the ${this.remaining} bytes left`);
    }
    return count;
  }

  /**
   * A [string] wchar_t* referent: a conformant varying array of UTF-16LE code units (maximum count,
   * offset, actual count; C706 §14.3.3.4) ending in a NUL, returned without the NUL. `maxChars`
   * bounds the characters before the NUL.
   */
  wstring(maxChars: number): string {
    const maxCount = this.u32();
    const offset = this.u32();
    const actual = this.u32();
    if (offset !== 0) throw new NdrError(`NDR string with a non-zero offset ${offset}`);
    if (actual > maxCount) throw new NdrError(`NDR string of ${actual} characters exceeds its maximum count ${maxCount}`);
    if (actual === 0) throw new NdrError("NDR string without its terminating NUL");
    if (actual - 1 > maxChars) throw new NdrError(`NDR string of ${actual - 1} characters exceeds limit ${maxChars}`);
    const at = this.need(actual * 2);
    if (this.buf.readUInt16LE(at + (actual - 1) * 2) !== 0) throw new NdrError("NDR string not terminated by a NUL");
    return this.buf.toString("utf16le", at, at + (actual - 1) * 2);
  }
}

/** First referent id of a stub, the way MIDL numbers them (any non-zero value is valid). */
const FIRST_REFERENT_ID = 0x00020000;

export class NdrWriter {
  private buf: Buffer;
  private pos = 0;
  private nextReferent = FIRST_REFERENT_ID;

  constructor(initialSize = 256) {
    this.buf = Buffer.alloc(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): number {
    if (this.pos + n > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(grown, 0, 0, this.pos);
      this.buf = grown;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Zero padding up to a multiple of `n`. */
  align(n: number): this {
    const pad = (n - (this.pos % n)) % n;
    if (pad) {
      const at = this.ensure(pad); // ensure() may replace this.buf: take the offset first
      this.buf.fill(0, at, this.pos);
    }
    return this;
  }

  u8(v: number): this {
    const at = this.ensure(1);
    this.buf[at] = v;
    return this;
  }

  u16(v: number): this {
    this.align(2);
    const at = this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, at);
    return this;
  }

  u32(v: number): this {
    this.align(4);
    const at = this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, at);
    return this;
  }

  /** A unique pointer: a fresh referent id when the referent follows (now or deferred), else 0. */
  pointer(present: boolean): this {
    if (!present) return this.u32(0);
    const id = this.nextReferent;
    this.nextReferent += 4;
    return this.u32(id);
  }

  /** A [string] wchar_t* referent: maximum count, offset 0, actual count, UTF-16LE and a NUL. */
  wstring(s: string): this {
    const units = s.length + 1;
    this.u32(units).u32(0).u32(units);
    const at = this.ensure(units * 2);
    this.buf.write(s, at, "utf16le");
    this.buf.writeUInt16LE(0, at + s.length * 2);
    return this;
  }

  toBuffer(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
