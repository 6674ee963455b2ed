/**
 * A deliberately independent, minimal ONC RPC (RFC 5531) client over a raw TCP socket, for
 * sending the server calls no well-behaved client would: unknown programs, bad versions,
 * truncated or oversized records, garbage.
 */
import { type Socket, connect } from "node:net";

export const LAST_FRAGMENT = 0x8000_0000;

export interface CallOptions {
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  rpcvers?: number;
  /** Encoded procedure arguments. */
  args?: Buffer;
  /** AUTH_SYS credentials; AUTH_NONE when absent. */
  sys?: { uid: number; gid: number; gids?: number[] };
}

const u32 = (...words: number[]): Buffer => {
  const out = Buffer.alloc(words.length * 4);
  words.forEach((word, i) => out.writeUInt32BE(word >>> 0, i * 4));
  return out;
};

/** An AUTH_SYS (flavor 1) opaque_auth: stamp, machine name "e2e", uid, gid, gids. */
function authSys({ uid, gid, gids = [] }: { uid: number; gid: number; gids?: number[] }): Buffer {
  const body = Buffer.concat([u32(1, 3), Buffer.from("e2e\0"), u32(uid, gid, gids.length, ...gids)]);
  return Buffer.concat([u32(1, body.length), body]);
}

/** A CALL message body (no record mark) with AUTH_NONE (or AUTH_SYS) credentials and an AUTH_NONE verifier. */
export function encodeCall({ xid, prog, vers, proc, rpcvers = 2, args = Buffer.alloc(0), sys }: CallOptions): Buffer {
  const cred = sys ? authSys(sys) : u32(0, 0);
  return Buffer.concat([u32(xid, 0 /* CALL */, rpcvers, prog, vers, proc), cred, u32(0, 0), args]);
}

/** `payload` as one record: a single fragment with the last-fragment bit set. */
export function record(payload: Buffer): Buffer {
  const mark = Buffer.alloc(4);
  mark.writeUInt32BE((LAST_FRAGMENT | payload.length) >>> 0);
  return Buffer.concat([mark, payload]);
}

export type Reply =
  | { xid: number; kind: "accepted"; acceptStat: number; mismatch?: { low: number; high: number }; results: Buffer }
  | { xid: number; kind: "denied"; rejectStat: number; mismatch?: { low: number; high: number }; authStat?: number };

/** Decodes a REPLY message (RFC 5531 §9). Throws on anything else. */
export function decodeReply(message: Buffer): Reply {
  let at = 0;
  const u32 = () => {
    if (at + 4 > message.length) throw new Error(`reply truncated at byte ${at}: ${message.toString("hex")}`);
    const value = message.readUInt32BE(at);
    at += 4;
    return value;
  };
  const xid = u32();
  const msgType = u32();
  if (msgType !== 1) throw new Error(`expected msg_type REPLY (1), got ${msgType}`);
  const replyStat = u32();
  if (replyStat === 0) {
    u32(); // verifier flavor
    const verifierLength = u32();
    at += (verifierLength + 3) & ~3;
    const acceptStat = u32();
    if (acceptStat === 2) return { xid, kind: "accepted", acceptStat, mismatch: { low: u32(), high: u32() }, results: message.subarray(at) };
    return { xid, kind: "accepted", acceptStat, results: message.subarray(at) };
  }
  if (replyStat !== 1) throw new Error(`expected reply_stat 0 or 1, got ${replyStat}`);
  const rejectStat = u32();
  if (rejectStat === 0) return { xid, kind: "denied", rejectStat, mismatch: { low: u32(), high: u32() } };
  return { xid, kind: "denied", rejectStat, authStat: u32() };
}

/** A TCP connection that reassembles record-marked replies. */
export class RawConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private records: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private isClosed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk) => this.onData(chunk));
    // A reset from the server is one of the outcomes under test, not a failure of the helper.
    socket.on("error", () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.on("close", () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** Connects to 127.0.0.1:`port`, from `localPort` when given (below 1024 needs root). */
  static open(port: number, localPort?: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const local = localPort === undefined ? {} : { localAddress: "127.0.0.1", localPort };
      const socket = connect({ host: "127.0.0.1", port, ...local }, () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Writes raw bytes; resolves once they are flushed to the kernel (or the peer has gone). */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed || this.socket.destroyed) return resolve();
      this.socket.write(bytes, () => resolve());
    });
  }

  async call(options: CallOptions): Promise<Reply> {
    await this.write(record(encodeCall(options)));
    return decodeReply(await this.nextRecord());
  }

  /** The next complete record from the server. Rejects if the connection closes or on timeout. */
  async nextRecord(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.records.length === 0) {
      if (this.isClosed) throw new Error("the server closed the connection instead of replying");
      if (Date.now() > deadline) throw new Error(`no reply within ${timeoutMs} ms`);
      await this.waitForEvent(deadline - Date.now());
    }
    return this.records.shift()!;
  }

  /** Resolves true once the server has closed the connection, false after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.closedPromise.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Half-closes our side (FIN) and waits for the socket to close. */
  async end(): Promise<void> {
    this.socket.end();
    await this.waitClosed(5_000);
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      if (this.buffered.length < 4) break;
      const mark = this.buffered.readUInt32BE(0);
      const length = mark & 0x7fff_ffff;
      if (this.buffered.length < 4 + length) break;
      this.fragments.push(this.buffered.subarray(4, 4 + length));
      this.buffered = this.buffered.subarray(4 + length);
      if (mark & LAST_FRAGMENT) {
        this.records.push(Buffer.concat(this.fragments));
        this.fragments = [];
      }
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private waitForEvent(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, timeoutMs));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
