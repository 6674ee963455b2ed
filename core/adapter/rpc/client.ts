import { connect, type Socket } from "node:net";
import { encodeCall } from "../../protocol/rpc/call.js";
import { RecordAssembler, recordMark } from "../../protocol/rpc/record.js";
import { decodeReply, type ReplyHeader } from "../../protocol/rpc/reply.js";
import type { AuthSysCredential } from "../../protocol/rpc/types.js";
import { XdrReader } from "../../protocol/xdr/reader.js";
import { XdrWriter } from "../../protocol/xdr/writer.js";

export interface CallRequest {
  prog: number;
  vers: number;
  proc: number;
  /** AUTH_SYS credential; AUTH_NONE when absent. */
  sys?: AuthSysCredential;
  /** Encoded procedure arguments. */
  args?: Buffer;
}

export interface CallResult {
  reply: ReplyHeader;
  /** Positioned at the procedure results (meaningful after SUCCESS). */
  results: XdrReader;
}

/**
 * A minimal ONC RPC client over TCP, for tests and diagnostics: sends calls (or raw bytes) and
 * pairs replies with calls by xid, so calls may be pipelined and answered out of order.
 */
export class RpcClient {
  private readonly assembler = new RecordAssembler(64 * 1024 * 1024);
  /** Replies nobody has asked for yet, in arrival order. */
  private readonly unclaimed: Buffer[] = [];
  private readonly waiters: Array<{ xid: number | null; resolve: (r: Buffer) => void; reject: (e: Error) => void }> = [];
  private nextXid = 1;
  private ended = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.assembler.push(chunk);
      for (let record = this.assembler.next(); record; record = this.assembler.next()) this.deliver(record);
    });
    socket.on("error", () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on("close", () => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w.reject(new Error("connection closed before the reply"));
        resolve();
      }),
    );
  }

  static connect(host: string, port: number): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RpcClient(socket));
      });
    });
  }

  /** Resolves when the connection has closed (by either side). */
  closed(): Promise<void> {
    return this.closedPromise;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Frames `record` as one last fragment and sends it. */
  sendRecord(record: Buffer): void {
    this.socket.cork();
    this.socket.write(recordMark(record.length));
    this.socket.write(record);
    this.socket.uncork();
  }

  /** Encodes and sends a call; returns its xid. */
  send(request: CallRequest, xid = this.nextXid++): number {
    const w = encodeCall(new XdrWriter(), { xid, prog: request.prog, vers: request.vers, proc: request.proc, sys: request.sys ?? null });
    if (request.args) w.opaqueFixed(request.args);
    this.sendRecord(w.toBuffer());
    return xid;
  }

  async call(request: CallRequest): Promise<CallResult> {
    const record = await this.replyTo(this.send(request));
    const results = new XdrReader(record);
    return { reply: decodeReply(results), results };
  }

  /** The reply record for `xid`, whenever it arrives. */
  replyTo(xid: number): Promise<Buffer> {
    const i = this.unclaimed.findIndex((r) => r.length >= 4 && r.readUInt32BE(0) === xid);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0]!);
    return this.wait(xid);
  }

  /** The next reply record nobody has claimed, in arrival order. */
  nextRecord(): Promise<Buffer> {
    const record = this.unclaimed.shift();
    return record ? Promise.resolve(record) : this.wait(null);
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closedPromise;
  }

  private wait(xid: number | null): Promise<Buffer> {
    if (this.ended) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => this.waiters.push({ xid, resolve, reject }));
  }

  private deliver(record: Buffer): void {
    const xid = record.length >= 4 ? record.readUInt32BE(0) : -1;
    const i = this.waiters.findIndex((w) => w.xid === xid || w.xid === null);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(record);
    else this.unclaimed.push(record);
  }
}
