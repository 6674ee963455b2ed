import type { Socket } from "node:net";
import type { BufferPool } from "../../cache/buffer-pool.js";
import type { Logger } from "../../util/logger.js";
import { decodeCall } from "../../protocol/rpc/call.js";
import { RecordAssembler, RecordFramingError, recordMarkWord } from "../../protocol/rpc/record.js";
import {
  encodeAuthError,
  encodeGarbageArgs,
  encodeRpcMismatch,
  encodeSuccessHeader,
  encodeSystemErr,
} from "../../protocol/rpc/reply.js";
import type { Procedure, RpcCall } from "../../protocol/rpc/types.js";
import { XdrError, XdrReader } from "../../protocol/xdr/reader.js";
import { XdrWriter } from "../../protocol/xdr/writer.js";
import type { BudgetHolder, InflightBudget } from "./budget.js";
import type { ProgramTable } from "./dispatch.js";
import type { DuplicateRequestCache } from "./drc.js";

/** Records this large that span socket chunks are assembled in pooled buffers. */
const POOLED_RECORD_MIN = 64 * 1024;

/** Where newReply holds the record mark: the first word of every reply. */
const RECORD_MARK_AT = 0;

/** A reply writer whose first word is held for the record mark that send() fills in. */
function newReply(initialSize?: number): XdrWriter {
  const out = new XdrWriter(initialSize);
  out.reserveU32();
  return out;
}

/** What a connection shares with its server. */
export interface ConnectionContext {
  readonly programs: ProgramTable;
  readonly logger: Logger;
  readonly maxRecordBytes: number;
  readonly maxCallsInFlight: number;
  /**
   * Buffers of maxRecordBytes for large records (1 MiB WRITEs): reused once their call has
   * finished, where a fresh buffer per record would make V8 collect garbage every few dozen.
   */
  readonly recordBuffers: BufferPool;
  /** Bytes of records held across the server's connections; reading stops past its limit. */
  readonly budget: InflightBudget;
  /** Replies of non-idempotent calls, shared by all connections; null when disabled. */
  readonly drc: DuplicateRequestCache | null;
  /** A connection with no call running and nothing received or sent for this long is closed; 0: never. */
  readonly idleTimeoutMs: number;
  callStarted(): void;
  callFinished(): void;
  closed(connection: RpcConnection): void;
}

/**
 * One client's TCP connection: reassembles records, starts each call without waiting for the
 * previous one, and writes each reply when its handler finishes (so replies may be out of
 * order; the xid pairs them). Reading pauses while too many calls are in flight, the socket's
 * write buffer is full, or the server's in-flight byte budget is spent.
 */
export class RpcConnection implements BudgetHolder {
  private readonly assembler: RecordAssembler;
  private readonly log: Logger;
  private readonly remoteAddress: string;
  private readonly remotePort: number;
  /** Records assembled in pooled buffers → the pooled buffer, to give back when the call ends. */
  private readonly pooledRecords = new WeakMap<Buffer, Buffer>();
  private inFlight = 0;
  /** Bytes of the records of running calls. */
  private runningBytes = 0;
  /** What this connection has charged to the budget. */
  private charged = 0;
  private budgetBlocked = false;
  private writeBlocked = false;
  private pumping = false;
  /** The peer sent FIN: finish what was received, then close our side. */
  private peerEnded = false;
  /** The server is shutting down: start nothing new. */
  private stopping = false;
  private done = false;

  constructor(
    private readonly socket: Socket,
    private readonly localPort: number,
    private readonly ctx: ConnectionContext,
  ) {
    this.assembler = new RecordAssembler(ctx.maxRecordBytes, (bytes) => this.allocateRecord(bytes));
    this.remoteAddress = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort ?? 0;
    this.log = ctx.logger.child({ remote: `${this.remoteAddress}:${this.remotePort}` });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.assembler.push(chunk);
      this.recharge();
      this.pump();
    });
    socket.on("drain", () => {
      this.writeBlocked = false;
      this.pump();
    });
    socket.on("end", () => this.onPeerEnd());
    socket.on("error", (err) => this.log.debug({ err }, "RPC connection error"));
    socket.on("close", () => {
      this.done = true;
      this.assembler.discard();
      ctx.budget.forget(this);
      this.recharge();
      ctx.closed(this);
    });
    if (ctx.idleTimeoutMs > 0) {
      socket.setTimeout(ctx.idleTimeoutMs);
      socket.on("timeout", () => this.onIdle());
    }
  }

  /** The budget has room again (BudgetHolder). */
  wake(): void {
    this.pump();
  }

  /** Stop starting calls (server shutdown); calls already running still reply. */
  stop(): void {
    this.stopping = true;
    this.updateFlow();
  }

  /** Flushes what was written, then closes; destroys the socket if that takes past `deadline`. */
  shutdown(deadline: number): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.socket.destroy(), Math.max(0, deadline - Date.now()));
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end(() => this.socket.destroy());
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Starts calls for the complete records buffered, as far as back-pressure allows. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.done && !this.stopping && !this.writeBlocked && this.inFlight < this.ctx.maxCallsInFlight) {
        this.budgetBlocked = !this.ctx.budget.mayRead(this, this.assembler.partial);
        if (this.budgetBlocked) break;
        const record = this.assembler.next();
        if (record || !this.assembler.partial) this.ctx.budget.releaseOverdraft(this);
        if (!record) break;
        this.startCall(record);
        this.recharge();
      }
    } catch (err) {
      if (err instanceof RecordFramingError) {
        this.abort(err.message);
      } else {
        // A bug of ours, not the client's: it costs this connection, never the process.
        this.log.error({ err }, "RPC connection failed");
        this.done = true;
        this.socket.destroy();
      }
      return;
    } finally {
      this.pumping = false;
      this.recharge();
    }
    this.updateFlow();
    this.endIfIdle();
  }

  private updateFlow(): void {
    if (this.done) return;
    const hold = this.stopping || this.writeBlocked || this.budgetBlocked || this.inFlight >= this.ctx.maxCallsInFlight;
    if (hold && !this.socket.isPaused()) this.socket.pause();
    else if (!hold && this.socket.isPaused()) this.socket.resume();
  }

  /** Brings this connection's charge to the budget up to date. */
  private recharge(): void {
    const now = this.assembler.heldBytes + this.runningBytes;
    if (now === this.charged) return;
    this.ctx.budget.charge(now - this.charged);
    this.charged = now;
  }

  private allocateRecord(bytes: number): Buffer {
    if (bytes < POOLED_RECORD_MIN || bytes > this.ctx.recordBuffers.bufferSize) return Buffer.allocUnsafe(bytes);
    const buffer = this.ctx.recordBuffers.take();
    const record = buffer.subarray(0, bytes);
    this.pooledRecords.set(record, buffer);
    return record;
  }

  /** The call of `record` is over and nothing refers to its bytes any more. */
  private releaseRecord(record: Buffer): void {
    const buffer = this.pooledRecords.get(record);
    if (!buffer) return;
    this.pooledRecords.delete(record);
    this.ctx.recordBuffers.give(buffer);
  }

  private startCall(record: Buffer): void {
    const args = new XdrReader(record);
    let header;
    try {
      header = decodeCall(args);
    } catch (err) {
      this.releaseRecord(record);
      this.abort(`malformed RPC call header: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const out = newReply();
    if (header.kind === "rpc-mismatch") {
      this.releaseRecord(record);
      this.send(encodeRpcMismatch(out, header.xid));
      return;
    }
    if (header.kind === "auth-error") {
      this.releaseRecord(record);
      this.send(encodeAuthError(out, header.xid, header.authStat));
      return;
    }
    const procedure = this.ctx.programs.resolve(header, out);
    if (!procedure) {
      this.releaseRecord(record);
      this.send(out);
      return;
    }
    const call: RpcCall = {
      xid: header.xid,
      prog: header.prog,
      vers: header.vers,
      proc: header.proc,
      cred: header.cred,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      localPort: this.localPort,
    };
    let drcKey: string | null = null;
    if (procedure.nonIdempotent && this.ctx.drc) {
      const seen = this.ctx.drc.begin(call, record.subarray(args.offset));
      if (seen.state !== "new") {
        this.releaseRecord(record);
        // A resend of a call still running is dropped, as knfsd does: the reply is on its way.
        this.log.debug({ xid: call.xid, proc: procedure.name, state: seen.state }, "RPC retransmission");
        if (seen.state === "done") this.sendRecord(seen.reply);
        return;
      }
      drcKey = seen.key;
    }
    encodeSuccessHeader(out, header.xid);
    this.run(call, procedure, record, args, out, drcKey);
  }

  /**
   * Runs a procedure; `args` reads `record`, whose bytes the handler may use until it settles.
   * `drcKey` names the call's duplicate request cache entry, if it has one.
   */
  private run(call: RpcCall, procedure: Procedure, record: Buffer, args: XdrReader, out: XdrWriter, drcKey: string | null): void {
    this.inFlight++;
    this.runningBytes += record.length;
    this.ctx.budget.callStarted();
    this.ctx.callStarted();
    let pending;
    try {
      pending = procedure.handler(call, args, out);
    } catch (err) {
      this.finish(call, procedure, record, out, drcKey, { err });
      return;
    }
    if (!(pending instanceof Promise)) {
      this.finish(call, procedure, record, out, drcKey, null);
      return;
    }
    pending.then(
      () => this.finish(call, procedure, record, out, drcKey, null),
      (err: unknown) => this.finish(call, procedure, record, out, drcKey, { err }),
    );
  }

  /** `failure` is null when the handler completed, else what it threw. */
  private finish(
    call: RpcCall,
    procedure: Procedure,
    record: Buffer,
    out: XdrWriter,
    drcKey: string | null,
    failure: { err: unknown } | null,
  ): void {
    this.releaseRecord(record);
    this.inFlight--;
    this.runningBytes -= record.length;
    this.recharge();
    this.ctx.budget.callFinished();
    this.ctx.callFinished();
    if (drcKey !== null) {
      // Kept even when this connection is gone: the client's resend may come on a new one.
      if (failure) this.ctx.drc!.forget(drcKey);
      else this.ctx.drc!.complete(drcKey, this.framed(out));
    }
    if (!failure) {
      this.send(out);
    } else {
      // The failed procedure's own reply is dropped: nothing it referenced will be sent.
      out.releaseRefs();
      const { err } = failure;
      if (err instanceof XdrError) {
        this.log.debug({ xid: call.xid, prog: call.prog, proc: procedure.name, err: err.message }, "RPC garbage arguments");
        this.send(encodeGarbageArgs(newReply(32), call.xid));
      } else {
        this.log.error({ err, xid: call.xid, prog: call.prog, proc: procedure.name }, "RPC procedure failed");
        this.send(encodeSystemErr(newReply(32), call.xid));
      }
    }
    this.pump();
  }

  /** A copy of a reply (from newReply) as one record, mark included. */
  private framed(reply: XdrWriter): Buffer {
    reply.setU32(RECORD_MARK_AT, recordMarkWord(reply.length - 4));
    return Buffer.concat(reply.chunks());
  }

  /** A reply already framed as a record (from the duplicate request cache). */
  private sendRecord(record: Buffer): void {
    if (this.done || this.socket.destroyed || !this.socket.writable) return;
    if (!this.socket.write(record)) this.writeBlocked = true;
  }

  /**
   * One reply (from newReply), its record mark filled in, handed to the socket as one write: a
   * single buffer for most replies, a vector write when a READ payload is referenced.
   */
  private send(reply: XdrWriter): void {
    // A peer that went away gets nothing: its replies are dropped.
    if (this.done || this.socket.destroyed || !this.socket.writable) {
      reply.releaseRefs();
      return;
    }
    let ok: boolean;
    try {
      reply.setU32(RECORD_MARK_AT, recordMarkWord(reply.length - 4));
      const chunks = reply.chunks();
      // Writes complete in order: the last one's callback means every payload was handed over.
      const sent = reply.holdsRefs ? () => reply.releaseRefs() : undefined;
      if (chunks.length === 1) {
        ok = this.socket.write(chunks[0]!, sent);
      } else {
        this.socket.cork();
        ok = true;
        for (let i = 0; i < chunks.length; i++) ok = this.socket.write(chunks[i]!, i === chunks.length - 1 ? sent : undefined);
        this.socket.uncork();
      }
    } catch (err) {
      // Payloads are not released here: the socket may still hold some, and destroying it
      // settles their write callbacks.
      this.log.error({ err }, "RPC reply could not be sent");
      this.done = true;
      this.socket.destroy();
      return;
    }
    if (!ok) this.writeBlocked = true;
  }

  /** A peer whose stream cannot be trusted any more: log once, drop it. */
  private abort(reason: string): void {
    this.log.warn({ reason }, "closing RPC connection");
    this.done = true;
    this.socket.destroy();
  }

  /** Nothing received or sent for idleTimeoutMs: close, unless a call runs or we stopped reading. */
  private onIdle(): void {
    if (this.done || this.inFlight > 0 || this.budgetBlocked || this.writeBlocked) return;
    this.log.debug({ idleTimeoutMs: this.ctx.idleTimeoutMs }, "closing idle RPC connection");
    this.done = true;
    this.socket.destroy();
  }

  private onPeerEnd(): void {
    this.peerEnded = true;
    if (this.assembler.partial) this.log.debug("RPC peer closed in the middle of a record");
    this.endIfIdle();
  }

  /** After the peer's FIN, close our side once every call it sent has been answered. */
  private endIfIdle(): void {
    // Not blocked and nothing in flight means pump() has started every complete record.
    const idle = this.inFlight === 0 && !this.writeBlocked && !this.budgetBlocked && !this.stopping;
    if (this.peerEnded && idle && !this.done && !this.socket.writableEnded) this.socket.end();
  }
}
