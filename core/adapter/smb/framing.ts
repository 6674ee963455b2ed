/**
 * Direct TCP transport (MS-SMB2 §2.1): each SMB2 message (or compound chain, or
 * TRANSFORM_HEADER'ed message) follows a 4-byte header, a zero byte and a 24-bit big-endian
 * length. A message that arrived whole in one chunk, and is most of it, is handed out as a view
 * of it, without a copy. Otherwise a message of up to EAGER_BODY_BYTES gets its whole buffer at once (one copy
 * of each byte), and a larger one's buffer grows (doubling) as its bytes arrive: a header
 * announcing a large message costs little until its bytes come, at most twice what arrived. A
 * length past `maxMessageBytes` is a protocol error that closes the connection rather than an
 * allocation.
 */
export class SmbFramingError extends Error {
  override name = "SmbFramingError";
}

const FRAME_HEADER = 4;
/** A message's first buffer: most requests fit, larger ones grow from here. */
const FIRST_BODY_BYTES = 64 * 1024;
/** Messages up to this size (a 128 KiB WRITE, as gvfs sends) get their full buffer at once. */
const EAGER_BODY_BYTES = 256 * 1024;

export class FrameAssembler {
  private header = Buffer.alloc(FRAME_HEADER);
  private headerHave = 0;
  /** The announced length of the message being assembled, or -1 between messages. */
  private expected = -1;
  private body = Buffer.alloc(0);
  private bodyHave = 0;
  private readonly ready: Buffer[] = [];

  constructor(private readonly maxMessageBytes: number) {}

  /** Takes a chunk from the socket; complete messages are then available from next(). */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.expected < 0) {
        const take = Math.min(FRAME_HEADER - this.headerHave, chunk.length - at);
        chunk.copy(this.header, this.headerHave, at, at + take);
        this.headerHave += take;
        at += take;
        if (this.headerHave < FRAME_HEADER) return;
        if (this.header[0] !== 0) throw new SmbFramingError(`transport frame type ${this.header[0]} (only session messages are accepted)`);
        const length = this.header.readUIntBE(1, 3);
        if (length === 0 || length > this.maxMessageBytes) {
          throw new SmbFramingError(`message of ${length} bytes (at most ${this.maxMessageBytes})`);
        }
        this.headerHave = 0;
        if (chunk.length - at >= length) {
          // A view keeps the whole chunk alive, so only a message that is most of it (a WRITE) gets one.
          const whole = chunk.subarray(at, at + length);
          this.ready.push(length * 2 >= chunk.length ? whole : Buffer.from(whole));
          at += length;
          continue;
        }
        this.expected = length;
        if (length <= EAGER_BODY_BYTES) this.body = Buffer.allocUnsafe(length);
      }
      const take = Math.min(this.expected - this.bodyHave, chunk.length - at);
      if (this.bodyHave + take > this.body.length) this.grow(this.bodyHave + take);
      chunk.copy(this.body, this.bodyHave, at, at + take);
      this.bodyHave += take;
      at += take;
      if (this.bodyHave === this.expected) {
        this.ready.push(this.body);
        this.body = Buffer.alloc(0);
        this.expected = -1;
        this.bodyHave = 0;
      }
    }
  }

  /** Room for at least `needed` bytes of the current message, never past its announced length. */
  private grow(needed: number): void {
    const size = Math.min(this.expected, Math.max(needed, FIRST_BODY_BYTES, this.body.length * 2));
    const grown = Buffer.allocUnsafe(size);
    this.body.copy(grown, 0, 0, this.bodyHave);
    this.body = grown;
  }

  /** The next complete message, or undefined. */
  next(): Buffer | undefined {
    return this.ready.shift();
  }

  /** Bytes held for messages not handed out yet (counted against the connection's budget). */
  get bufferedBytes(): number {
    return this.body.length + this.ready.reduce((sum, b) => sum + b.length, 0);
  }
}

/** The 4-byte transport header for a message of `length` bytes. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(FRAME_HEADER);
  header.writeUIntBE(length, 1, 3);
  return header;
}
