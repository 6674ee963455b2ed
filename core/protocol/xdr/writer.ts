/**
 * XDR encoding (RFC 4506) into a growable scratch buffer. Large payloads (READ data) are not
 * copied: `opaqueRef` records them as separate chunks so the transport can hand the whole reply
 * to the socket as a vector write, and calls `releaseRefs` once the socket is done with them.
 */
const PADDING = Buffer.alloc(4);

export class XdrWriter {
  private buf: Buffer;
  private pos = 0;
  /** Chunks already sealed: scratch slices and referenced payloads, in order. */
  private readonly sealed: Buffer[] = [];
  private sealedBytes = 0;
  /** What opaqueRef callers want to hear once their payloads are no longer needed. */
  private releases: Array<() => void> = [];

  constructor(initialSize = 512) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far, including referenced payloads. */
  get length(): number {
    return this.sealedBytes + this.pos;
  }

  private ensure(n: number): number {
    if (this.pos + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(grown, 0, 0, this.pos);
      this.buf = grown;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /**
   * Bytes are stored one by one (a typed-array store keeps the low 8 bits), the value taken
   * modulo 2^32 like `v >>> 0`: Buffer#writeUInt32BE's range checks cost more than the write
   * on a path that encodes a few dozen words per reply.
   */
  u32(v: number): this {
    const at = this.ensure(4); // ensure() may replace this.buf: take the offset first
    const b = this.buf;
    b[at] = v >>> 24;
    b[at + 1] = v >>> 16;
    b[at + 2] = v >>> 8;
    b[at + 3] = v >>> 0;
    return this;
  }

  i32(v: number): this {
    return this.u32(v | 0);
  }

  bool(v: boolean): this {
    return this.u32(v ? 1 : 0);
  }

  /** Unsigned hyper from a non-negative safe integer or a bigint. */
  u64(v: number | bigint): this {
    const at = this.ensure(8);
    if (typeof v === "bigint") {
      this.buf.writeBigUInt64BE(v, at);
      return this;
    }
    const b = this.buf;
    const hi = Math.floor(v / 0x1_0000_0000);
    b[at] = hi >>> 24;
    b[at + 1] = hi >>> 16;
    b[at + 2] = hi >>> 8;
    b[at + 3] = hi >>> 0;
    b[at + 4] = v >>> 24;
    b[at + 5] = v >>> 16;
    b[at + 6] = v >>> 8;
    b[at + 7] = v >>> 0;
    return this;
  }

  i64(v: bigint): this {
    const at = this.ensure(8);
    this.buf.writeBigInt64BE(v, at);
    return this;
  }

  /** Fixed-length opaque: bytes copied into the scratch buffer, then padding. */
  opaqueFixed(data: Uint8Array): this {
    const at = this.ensure(data.length);
    this.buf.set(data, at);
    return this.pad(data.length);
  }

  opaqueVar(data: Uint8Array): this {
    this.u32(data.length);
    return this.opaqueFixed(data);
  }

  string(s: string): this {
    const len = Buffer.byteLength(s, "utf8");
    this.u32(len);
    const at = this.ensure(len);
    this.buf.write(s, at, len, "utf8");
    return this.pad(len);
  }

  /**
   * Variable-length opaque whose bytes are referenced, not copied (READ payloads). `release`
   * runs once `data` is no longer needed: at once when it was small enough to copy, else when
   * the transport calls releaseRefs.
   */
  opaqueRef(data: Buffer, release?: () => void): this {
    this.u32(data.length);
    if (data.length < 1024) {
      this.opaqueFixed(data);
      release?.();
      return this;
    }
    if (release) this.releases.push(release);
    this.seal();
    this.sealed.push(data);
    this.sealedBytes += data.length;
    return this.pad(data.length);
  }

  /**
   * Holds a word to be filled in later with `setU32` (a length or a record mark known only once
   * the rest is encoded); returns its position.
   */
  reserveU32(): number {
    const at = this.length;
    this.ensure(4);
    return at;
  }

  /** Fills a word held by `reserveU32` at position `at`. */
  setU32(at: number, v: number): this {
    let start = 0;
    for (const chunk of this.sealed) {
      if (at < start + chunk.length) {
        chunk.writeUInt32BE(v >>> 0, at - start);
        return this;
      }
      start += chunk.length;
    }
    this.buf.writeUInt32BE(v >>> 0, at - start);
    return this;
  }

  /** XDR optional-data: a bool, then the value when present. */
  optional<T>(v: T | null | undefined, write: (w: XdrWriter, v: T) => void): this {
    if (v === null || v === undefined) return this.bool(false);
    this.bool(true);
    write(this, v);
    return this;
  }

  /** Whether payloads wait for releaseRefs. */
  get holdsRefs(): boolean {
    return this.releases.length > 0;
  }

  /** Called by the transport once the referenced payloads were sent (or dropped); idempotent. */
  releaseRefs(): void {
    const releases = this.releases;
    this.releases = [];
    for (const release of releases) release();
  }

  /** The encoded bytes as a list of chunks, ready for a vector write. */
  chunks(): Buffer[] {
    if (this.pos === 0) return this.sealed.slice();
    return [...this.sealed, this.buf.subarray(0, this.pos)];
  }

  /** The encoded bytes as one buffer (copies when payloads were referenced). */
  toBuffer(): Buffer {
    const parts = this.chunks();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  private pad(n: number): this {
    const pad = (4 - (n & 3)) & 3;
    if (pad) {
      const at = this.ensure(pad);
      this.buf.set(PADDING.subarray(0, pad), at);
    }
    return this;
  }

  private seal(): void {
    if (this.pos === 0) return;
    this.sealed.push(this.buf.subarray(0, this.pos));
    this.sealedBytes += this.pos;
    this.buf = Buffer.allocUnsafe(Math.max(256, this.buf.length - this.pos));
    this.pos = 0;
  }
}
