/**
 * The server side of connection-oriented DCE/RPC (C706 ch. 12, MS-RPCE §3.3) over one open of a
 * message-mode named pipe (ncacn_np, MS-RPCE §2.1.1.2): the SMB layer writes what the client
 * wrote, and reads (or transceives) what goes back. One interface per endpoint, NDR 2.0 only, no
 * RPC-level authentication (the SMB session already authenticated and signs or seals).
 *
 * Each PDU we send is one pipe message: `read` returns bytes of the first message only, and says
 * `more` while that message has bytes left, which is when the SMB layer answers
 * STATUS_BUFFER_OVERFLOW (MS-SMB2 §3.3.5.12, MS-FSCC §2.3.49) instead of STATUS_SUCCESS.
 *
 * Bounds: a fragment is at most MAX_RECV_FRAG bytes (we say so in the bind_ack) and input is
 * buffered only up to one fragment; a fragmented request is reassembled up to MAX_REQUEST_STUB
 * bytes of stub, beyond which the call is answered with a fault and its further fragments dropped;
 * replies waiting to be read are capped at MAX_PENDING_OUTPUT bytes.
 */
import { NdrError } from "../../../protocol/dcerpc/ndr.js";
import {
  BIND_NAK_AUTHENTICATION_TYPE_NOT_RECOGNIZED,
  BIND_NAK_REASON_NOT_SPECIFIED,
  type BindPdu,
  type ContextResult,
  DcerpcError,
  decodeBind,
  decodeCommonHeader,
  decodeRequest,
  encodeBindAck,
  encodeBindNak,
  encodeFault,
  encodeResponseFragments,
  MUST_RECV_FRAG_SIZE,
  nca_s_fault_ndr,
  nca_s_fault_remote_no_memory,
  nca_s_op_rng_error,
  nca_s_proto_error,
  nca_s_unk_if,
  NDR_SYNTAX,
  NULL_SYNTAX,
  peekFragLength,
  type PresentationContext,
  PFC_FIRST_FRAG,
  PFC_LAST_FRAG,
  PTYPE_ALTER_CONTEXT,
  PTYPE_ALTER_CONTEXT_RESP,
  PTYPE_AUTH3,
  PTYPE_BIND,
  PTYPE_BIND_ACK,
  PTYPE_CO_CANCEL,
  PTYPE_ORPHANED,
  PTYPE_REQUEST,
  REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED,
  REASON_PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED,
  RESULT_ACCEPTANCE,
  RESULT_NEGOTIATE_ACK,
  RESULT_PROVIDER_REJECTION,
  type SyntaxId,
} from "../../../protocol/dcerpc/pdu.js";

/** Largest fragment we receive or send: what Samba offers; Windows and Samba clients ask for 4280. */
export const MAX_RECV_FRAG = 5840;
/** Largest request stub we reassemble from fragments (srvsvc requests are a few hundred bytes). */
export const MAX_REQUEST_STUB = 64 * 1024;
/** Most reply bytes we hold for the client to read. */
export const MAX_PENDING_OUTPUT = 1024 * 1024;

/**
 * Bind time feature negotiation (MS-RPCE §3.3.1.5.3): a transfer syntax 6cb71c2c-9812-4540-XXXX-…
 * whose ninth byte is a bitmask of features.
 */
const BIND_TIME_FEATURE_PREFIX = "6cb71c2c-9812-4540-";
/** We keep the pipe when a call is orphaned; we multiplex no security contexts (we have none). */
const KEEP_CONNECTION_ON_ORPHAN = 0x02;

export type PipeErrorReason =
  /** The bytes are not DCE/RPC we can follow: the pipe is now broken for writes. */
  | "malformed"
  /** The client wrote more calls than it read replies for: the pipe is now broken for writes. */
  | "overflow"
  /** A transceive found unread replies (MS-FSCC §2.3.49 STATUS_PIPE_BUSY); nothing was written. */
  | "busy";

export class PipeError extends Error {
  override name = "PipeError";
  constructor(
    readonly reason: PipeErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One remote procedure: NDR stub in, NDR stub out; NdrError on a malformed stub. */
export interface RpcProcedure {
  name: string;
  handler: (stub: Buffer) => Buffer;
}

export interface RpcEndpointOptions {
  /** The interface served (abstract syntax). */
  syntax: SyntaxId;
  /** The bind_ack's secondary address, e.g. "\\PIPE\\srvsvc". */
  secondaryAddress: string;
  /** Procedures by opnum; any other opnum is answered with a fault nca_s_op_rng_error. */
  procedures: ReadonlyMap<number, RpcProcedure>;
}

interface PendingCall {
  callId: number;
  contextId: number;
  opnum: number;
  parts: Buffer[];
  size: number;
}

/** Association groups are not shared between pipes: each bind without one gets a fresh id. */
let nextAssocGroupId = 0x5d00;

export class RpcPipeEndpoint {
  /** Bytes of an incomplete fragment (at most one fragment). */
  private input: Buffer = Buffer.alloc(0);
  /** Replies, one PDU per pipe message, and how far the first one was read. */
  private readonly output: Buffer[] = [];
  private outputHead = 0;
  private outputBytes = 0;
  private bound = false;
  private readonly acceptedContexts = new Set<number>();
  private xmitFrag = MUST_RECV_FRAG_SIZE;
  private assocGroupId = 0;
  private call: PendingCall | null = null;
  /** A call whose request was refused mid-way: its remaining fragments are dropped. */
  private discardedCallId: number | null = null;
  private broken: PipeError | null = null;

  constructor(private readonly options: RpcEndpointOptions) {}

  /** Reply bytes waiting to be read, across all messages. */
  get available(): number {
    return this.outputBytes;
  }

  /**
   * Takes bytes the client wrote: whole PDUs, several PDUs, or a part of one (kept until the
   * rest comes). Throws PipeError on bytes that are not DCE/RPC or when replies pile up unread.
   */
  write(data: Buffer): void {
    if (this.broken) throw this.broken;
    let buf = this.input.length ? Buffer.concat([this.input, data]) : data;
    try {
      for (;;) {
        const fragLength = peekFragLength(buf);
        if (fragLength === null) break;
        if (fragLength > MAX_RECV_FRAG) {
          throw new DcerpcError(`DCE/RPC fragment of ${fragLength} bytes exceeds our limit of ${MAX_RECV_FRAG}`);
        }
        if (buf.length < fragLength) break;
        if (this.outputBytes > MAX_PENDING_OUTPUT) {
          throw new PipeError("overflow", `more than ${MAX_PENDING_OUTPUT} reply bytes are waiting to be read`);
        }
        this.handlePdu(buf.subarray(0, fragLength));
        buf = buf.subarray(fragLength);
      }
    } catch (err) {
      this.input = Buffer.alloc(0);
      this.call = null;
      if (err instanceof PipeError) this.broken = err;
      else if (err instanceof DcerpcError) this.broken = new PipeError("malformed", err.message, { cause: err });
      else throw err;
      throw this.broken;
    }
    this.input = Buffer.from(buf); // a copy: the caller may reuse its buffer
  }

  /**
   * Up to `max` bytes of the first waiting message. `more` is true while that message has bytes
   * left (answer STATUS_BUFFER_OVERFLOW); an empty result with `more` false means nothing waits.
   */
  read(max: number): { data: Buffer; more: boolean } {
    const message = this.output[0];
    if (!message) return { data: Buffer.alloc(0), more: false };
    const take = Math.max(0, Math.min(Math.floor(max), message.length - this.outputHead));
    const data = message.subarray(this.outputHead, this.outputHead + take);
    this.outputHead += take;
    this.outputBytes -= take;
    if (this.outputHead < message.length) return { data, more: true };
    this.output.shift();
    this.outputHead = 0;
    return { data, more: false };
  }

  /** FSCTL_PIPE_TRANSCEIVE (MS-FSCC §2.3.49): a write and a read; refused while replies wait. */
  transceive(data: Buffer, max: number): { data: Buffer; more: boolean } {
    if (this.outputBytes > 0) throw new PipeError("busy", "the pipe holds unread replies");
    this.write(data);
    return this.read(max);
  }

  private send(pdu: Buffer): void {
    this.output.push(pdu);
    this.outputBytes += pdu.length;
  }

  private handlePdu(pdu: Buffer): void {
    const header = decodeCommonHeader(pdu);
    switch (header.ptype) {
      case PTYPE_BIND:
        return this.handleBind(pdu, header.callId, header.authLength);
      case PTYPE_ALTER_CONTEXT:
        return this.handleAlterContext(pdu, header.callId, header.authLength);
      case PTYPE_REQUEST:
        return this.handleRequest(pdu);
      case PTYPE_AUTH3: // completes an authentication we never start
      case PTYPE_CO_CANCEL: // calls run to completion before we read the next PDU
        return;
      case PTYPE_ORPHANED:
        if (this.call?.callId === header.callId) this.call = null;
        return;
      default:
        throw new DcerpcError(`unexpected DCE/RPC PDU type ${header.ptype} from a client`);
    }
  }

  /** BIND (C706 §12.6.4.3): one association per pipe, no RPC-level authentication. */
  private handleBind(pdu: Buffer, callId: number, authLength: number): void {
    if (this.bound) return this.send(encodeBindNak(callId, BIND_NAK_REASON_NOT_SPECIFIED));
    if (authLength > 0) return this.send(encodeBindNak(callId, BIND_NAK_AUTHENTICATION_TYPE_NOT_RECOGNIZED));
    const bind = decodeBind(pdu);
    if (bind.maxRecvFrag < MUST_RECV_FRAG_SIZE) return this.send(encodeBindNak(callId, BIND_NAK_REASON_NOT_SPECIFIED));
    this.bound = true;
    this.xmitFrag = Math.min(bind.maxRecvFrag, MAX_RECV_FRAG);
    this.assocGroupId = bind.assocGroupId || nextAssocGroupId++;
    this.send(this.bindAck(PTYPE_BIND_ACK, bind, this.options.secondaryAddress));
  }

  /** ALTER_CONTEXT (C706 §12.6.4.1): more presentation contexts on the bound association. */
  private handleAlterContext(pdu: Buffer, callId: number, authLength: number): void {
    if (!this.bound || authLength > 0) return this.send(encodeFault(callId, 0, nca_s_proto_error));
    this.send(this.bindAck(PTYPE_ALTER_CONTEXT_RESP, decodeBind(pdu), ""));
  }

  private bindAck(ptype: typeof PTYPE_BIND_ACK | typeof PTYPE_ALTER_CONTEXT_RESP, bind: BindPdu, address: string): Buffer {
    return encodeBindAck({
      ptype,
      callId: bind.header.callId,
      maxXmitFrag: this.xmitFrag,
      maxRecvFrag: MAX_RECV_FRAG,
      assocGroupId: this.assocGroupId,
      secondaryAddress: address,
      results: bind.contexts.map((c) => this.negotiate(c)),
    });
  }

  /** One presentation context's result (C706 §12.6.4.4; MS-RPCE §3.3.1.5.3 for feature negotiation). */
  private negotiate(context: PresentationContext): ContextResult {
    const first = context.transferSyntaxes[0]!;
    if (first.uuid.startsWith(BIND_TIME_FEATURE_PREFIX)) {
      const offered = parseInt(first.uuid.slice(19, 21), 16);
      return { result: RESULT_NEGOTIATE_ACK, reason: offered & KEEP_CONNECTION_ON_ORPHAN, transferSyntax: NULL_SYNTAX };
    }
    const wanted = this.options.syntax;
    const abstract = context.abstractSyntax;
    if (abstract.uuid !== wanted.uuid || abstract.major !== wanted.major || abstract.minor > wanted.minor) {
      return { result: RESULT_PROVIDER_REJECTION, reason: REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED, transferSyntax: NULL_SYNTAX };
    }
    const ndr = context.transferSyntaxes.some((t) => t.uuid === NDR_SYNTAX.uuid && t.major === NDR_SYNTAX.major);
    if (!ndr) {
      return {
        result: RESULT_PROVIDER_REJECTION,
        reason: REASON_PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED,
        transferSyntax: NULL_SYNTAX,
      };
    }
    this.acceptedContexts.add(context.contextId);
    return { result: RESULT_ACCEPTANCE, reason: 0, transferSyntax: NDR_SYNTAX };
  }

  /** REQUEST (C706 §12.6.4.9): reassemble the fragments, run the procedure, send the response. */
  private handleRequest(pdu: Buffer): void {
    const req = decodeRequest(pdu);
    const { callId, pfcFlags } = req.header;
    const first = (pfcFlags & PFC_FIRST_FRAG) !== 0;
    const last = (pfcFlags & PFC_LAST_FRAG) !== 0;
    if (!first && this.discardedCallId === callId) return;
    this.discardedCallId = null;
    let { stub, contextId, opnum } = req;
    const refuse = (status: number): void => {
      this.call = null;
      if (!last) this.discardedCallId = callId;
      this.send(encodeFault(callId, contextId, status));
    };
    if (!this.bound || req.header.authLength > 0) return refuse(nca_s_proto_error);
    if (!(first && last)) {
      if (first) this.call = { callId, contextId, opnum, parts: [], size: 0 };
      const call = this.call;
      if (!call || call.callId !== callId) return refuse(nca_s_proto_error);
      call.size += stub.length;
      if (call.size > MAX_REQUEST_STUB) return refuse(nca_s_fault_remote_no_memory);
      call.parts.push(Buffer.from(stub));
      if (!last) return;
      this.call = null;
      ({ contextId, opnum } = call);
      stub = Buffer.concat(call.parts);
    }
    if (!this.acceptedContexts.has(contextId)) return refuse(nca_s_unk_if);
    const procedure = this.options.procedures.get(opnum);
    if (!procedure) return refuse(nca_s_op_rng_error);
    let reply: Buffer;
    try {
      reply = procedure.handler(stub);
    } catch (err) {
      if (err instanceof NdrError) return refuse(nca_s_fault_ndr);
      throw err;
    }
    for (const fragment of encodeResponseFragments(callId, contextId, reply, this.xmitFrag)) this.send(fragment);
  }
}
