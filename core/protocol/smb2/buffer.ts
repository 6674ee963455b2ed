/**
 * Little-endian, bounds-checked reading and writing of SMB2 messages. SMB2 structures point at
 * their variable parts with offsets from the start of the SMB2 header, so a reader works on the
 * whole message with absolute positions. Any malformed input throws SmbDecodeError, which the
 * adapter answers with STATUS_INVALID_PARAMETER (or closes the connection for a bad header).
 */
export class SmbDecodeError extends Error {
  override name = "SmbDecodeError";
}

export class SmbReader {
  private pos: number;

  /** `buf` is one SMB2 message: position 0 is the first byte of its header. */
  constructor(
    readonly buf: Buffer,
    start = 0,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get length(): number {
    return this.buf.length;
  }

  seek(offset: number): this {
    if (offset < 0 || offset > this.buf.length) throw new SmbDecodeError(`offset ${offset} outside a ${this.buf.length}-byte message`);
    this.pos = offset;
    return this;
  }

  skip(n: number): this {
    this.need(n);
    return this;
  }

  private need(n: number): number {
    if (n > this.buf.length - this.pos) {
      throw new SmbDecodeError(`truncated SMB2 message: need ${n} bytes at offset ${this.pos}, have ${this.buf.length - this.pos}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.need(1)]!;
  }

  u16(): number {
    return this.buf.readUInt16LE(this.need(2));
  }

  u32(): number {
    return this.buf.readUInt32LE(this.need(4));
  }

  u64(): bigint {
    return this.buf.readBigUInt64LE(this.need(8));
  }

  /**
   * A 64-bit offset or size as a number; values past 2^53 - 1 come back as MAX_SAFE_INTEGER, which
   * every caller refuses as out of range.
   */
  u64n(): number {
    const value = this.u64();
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  }

  /** n bytes as a view into the message. */
  bytes(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  /**
   * The variable part a structure points at: `length` bytes at `offset` from the header. An
   * empty part may carry any offset (clients send 0); a non-empty one must lie inside the message
   * and not before `minOffset` (the end of the fixed part, so it cannot overlap the structure).
   */
  blob(offset: number, length: number, minOffset = 0): Buffer {
    if (length === 0) return this.buf.subarray(0, 0);
    if (offset < minOffset || offset + length > this.buf.length) {
      throw new SmbDecodeError(`buffer of ${length} bytes at offset ${offset} outside the ${this.buf.length}-byte message`);
    }
    return this.buf.subarray(offset, offset + length);
  }
}

/** Grows as needed; `buffer()` hands out the bytes written. */
export class SmbWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get offset(): number {
    return this.pos;
  }

  /**
   * Reserves `n` bytes and returns where they start. It may replace `buf`, so callers must call
   * it before they read `this.buf` (`this.buf.set(x, this.room(n))` would write the old one).
   */
  private room(n: number): number {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(value: number): this {
    const at = this.room(1);
    this.buf[at] = value;
    return this;
  }

  u16(value: number): this {
    const at = this.room(2);
    this.buf.writeUInt16LE(value, at);
    return this;
  }

  u32(value: number): this {
    const at = this.room(4);
    this.buf.writeUInt32LE(value >>> 0, at);
    return this;
  }

  u64(value: bigint | number): this {
    const at = this.room(8);
    this.buf.writeBigUInt64LE(BigInt(value), at);
    return this;
  }

  bytes(data: Uint8Array): this {
    const at = this.room(data.length);
    this.buf.set(data, at);
    return this;
  }

  zeros(n: number): this {
    const at = this.room(n);
    this.buf.fill(0, at, this.pos);
    return this;
  }

  /** Pads with zeros to a multiple of `n` bytes from the start of this writer. */
  align(n: number): this {
    const over = this.pos % n;
    return over === 0 ? this : this.zeros(n - over);
  }

  /** Overwrites a u16 / u32 written earlier (offsets and lengths known only later). */
  setU16(at: number, value: number): void {
    this.buf.writeUInt16LE(value, at);
  }

  setU32(at: number, value: number): void {
    this.buf.writeUInt32LE(value >>> 0, at);
  }

  buffer(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** UTF-16LE, as SMB2 carries every name and path. */
export function utf16(text: string): Buffer {
  return Buffer.from(text, "utf16le");
}

/** Decodes UTF-16LE; an odd byte count is malformed. */
export function fromUtf16(bytes: Buffer): string {
  if (bytes.length % 2 !== 0) throw new SmbDecodeError(`UTF-16 string of odd length ${bytes.length}`);
  return bytes.toString("utf16le");
}
