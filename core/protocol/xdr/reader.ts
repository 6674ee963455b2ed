/**
 * XDR decoding (RFC 4506) over a Buffer, in place: opaque data comes back as a view into the
 * record, never a copy. Any malformed input throws XdrError, which the RPC layer answers with
 * GARBAGE_ARGS.
 */
export class XdrError extends Error {
  override name = "XdrError";
}

export class XdrReader {
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    if (n > this.end - this.pos) {
      throw new XdrError(`truncated XDR: need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }

  i32(): number {
    return this.buf.readInt32BE(this.need(4));
  }

  bool(): boolean {
    const v = this.u32();
    if (v > 1) throw new XdrError(`invalid XDR bool ${v}`);
    return v === 1;
  }

  /** An unsigned hyper as a bigint (for values that may exceed 2^53, e.g. cookies). */
  u64big(): bigint {
    return this.buf.readBigUInt64BE(this.need(8));
  }

  /**
   * An unsigned hyper as a number. Offsets, sizes and counts above 2^53 - 1 cannot be held
   * exactly; callers that must answer them specially (FBIG) check against Number.MAX_SAFE_INTEGER,
   * which is what we return for anything larger.
   */
  u64(): number {
    const at = this.need(8);
    const hi = this.buf.readUInt32BE(at);
    const lo = this.buf.readUInt32BE(at + 4);
    if (hi > 0x1fffff) return Number.MAX_SAFE_INTEGER;
    return hi * 0x1_0000_0000 + lo;
  }

  i64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }

  /** Fixed-length opaque of n bytes plus padding; a view into the record. */
  opaqueFixed(n: number): Buffer {
    const at = this.need(n);
    this.skipPadding(n);
    return this.buf.subarray(at, at + n);
  }

  /** Variable-length opaque with an upper bound; a view into the record. */
  opaqueVar(max: number): Buffer {
    const len = this.u32();
    if (len > max) throw new XdrError(`XDR opaque of ${len} bytes exceeds limit ${max}`);
    return this.opaqueFixed(len);
  }

  /** A string as raw bytes (names are validated as bytes before they are decoded). */
  stringBytes(max: number): Buffer {
    return this.opaqueVar(max);
  }

  string(max: number): string {
    return this.opaqueVar(max).toString("utf8");
  }

  /** XDR optional-data (`*T`): a bool, then the value when it is true. */
  optional<T>(read: (r: XdrReader) => T): T | null {
    return this.bool() ? read(this) : null;
  }

  skip(n: number): void {
    this.need(n);
  }

  private skipPadding(n: number): void {
    const pad = (4 - (n & 3)) & 3;
    if (pad) this.need(pad);
  }
}
