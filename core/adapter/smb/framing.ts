/**
 * Direct TCP transport (MS-SMB2 §2.1): each SMB2 message (or compound chain, or
 * TRANSFORM_HEADER'ed message) follows a 4-byte header, a zero byte and a 24-bit big-endian
 * length. Frames are assembled into one buffer per message; a length past `maxMessageBytes`
 * is a protocol error that closes the connection rather than an allocation.
 */
export class SmbFramingError extends Error {
  override name = "SmbFramingError";
}

const FRAME_HEADER = 4;

export class FrameAssembler {
  private header = Buffer.alloc(FRAME_HEADER);
  private headerHave = 0;
  private body: Buffer | null = null;
  private bodyHave = 0;
  private readonly ready: Buffer[] = [];

  constructor(private readonly maxMessageBytes: number) {}

  /** Takes a chunk from the socket; complete messages are then available from next(). */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.body === null) {
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
        this.body = Buffer.allocUnsafe(length);
        this.bodyHave = 0;
        this.headerHave = 0;
      }
      const take = Math.min(this.body.length - this.bodyHave, chunk.length - at);
      chunk.copy(this.body, this.bodyHave, at, at + take);
      this.bodyHave += take;
      at += take;
      if (this.bodyHave === this.body.length) {
        this.ready.push(this.body);
        this.body = null;
      }
    }
  }

  /** The next complete message, or undefined. */
  next(): Buffer | undefined {
    return this.ready.shift();
  }

  /** Bytes held for messages not handed out yet (counted against the connection's budget). */
  get bufferedBytes(): number {
    return (this.body?.length ?? 0) + this.ready.reduce((sum, b) => sum + b.length, 0);
  }
}

/** The 4-byte transport header for a message of `length` bytes. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(FRAME_HEADER);
  header.writeUIntBE(length, 1, 3);
  return header;
}
