/**
 * Connection-oriented DCE/RPC PDUs (C706 ch. 12, as profiled by MS-RPCE §2.2.2): the 16-byte
 * common header and the bind, bind_ack, bind_nak, alter_context(_resp), request, response and
 * fault bodies. Pure and bounds-checked: every decoder throws DcerpcError on malformed input and
 * never trusts a length, offset or count from the wire.
 *
 * Only little-endian integers, ASCII characters and IEEE floats (data representation 0x10) are
 * accepted: every Windows, Samba and macOS client sends that, and refusing the rest keeps the
 * NDR codec to one byte order.
 */
import { NDR_SYNTAX_UUID } from "./ndr.js";

export class DcerpcError extends Error {
  override name = "DcerpcError";
}

/** PDU types (C706 §12.6.4). */
export const PTYPE_REQUEST = 0;
export const PTYPE_RESPONSE = 2;
export const PTYPE_FAULT = 3;
export const PTYPE_BIND = 11;
export const PTYPE_BIND_ACK = 12;
export const PTYPE_BIND_NAK = 13;
export const PTYPE_ALTER_CONTEXT = 14;
export const PTYPE_ALTER_CONTEXT_RESP = 15;
export const PTYPE_AUTH3 = 16;
export const PTYPE_SHUTDOWN = 17;
export const PTYPE_CO_CANCEL = 18;
export const PTYPE_ORPHANED = 19;

/** pfc_flags (C706 §12.6.3.1; MS-RPCE §2.2.2.3). */
export const PFC_FIRST_FRAG = 0x01;
export const PFC_LAST_FRAG = 0x02;
export const PFC_DID_NOT_EXECUTE = 0x20;
export const PFC_OBJECT_UUID = 0x80;

/** Presentation context results (C706 §12.6.3.1 p_cont_def_result_t; MS-RPCE §2.2.2.4 negotiate_ack). */
export const RESULT_ACCEPTANCE = 0;
export const RESULT_USER_REJECTION = 1;
export const RESULT_PROVIDER_REJECTION = 2;
export const RESULT_NEGOTIATE_ACK = 3;

/** Provider reasons for a rejected presentation context (C706 §12.6.3.1 p_provider_reason_t). */
export const REASON_NOT_SPECIFIED = 0;
export const REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED = 1;
export const REASON_PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED = 2;
export const REASON_LOCAL_LIMIT_EXCEEDED = 3;

/** bind_nak reasons (C706 §12.6.3.1 p_reject_reason_t). */
export const BIND_NAK_REASON_NOT_SPECIFIED = 0;
export const BIND_NAK_PROTOCOL_VERSION_NOT_SUPPORTED = 4;
export const BIND_NAK_AUTHENTICATION_TYPE_NOT_RECOGNIZED = 8;

/** Fault status codes (C706 Appendix E; MS-RPCE §3.1.1.5.5). */
export const nca_s_fault_ndr = 0x000006f7;
export const nca_s_op_rng_error = 0x1c010002;
export const nca_s_unk_if = 0x1c010003;
export const nca_s_proto_error = 0x1c01000b;
export const nca_s_fault_remote_no_memory = 0x1c00001b;

export const COMMON_HEADER_LENGTH = 16;
/** Bytes of a request PDU before its stub (or before the object UUID when there is one). */
export const REQUEST_HEADER_LENGTH = 24;
/** Bytes of a response PDU before its stub. */
export const RESPONSE_HEADER_LENGTH = 24;
/** The auth_verifier's sec_trailer (C706 §13.2.6.1) before the auth_length bytes of credentials. */
const SEC_TRAILER_LENGTH = 8;
/** Every implementation must accept fragments of this size (C706 §12.6.4.3, MustRecvFragSize). */
export const MUST_RECV_FRAG_SIZE = 1432;

/** The data representation we send and accept: little-endian, ASCII, IEEE (C706 §14.1). */
const DREP_LITTLE_ENDIAN_ASCII_IEEE = [0x10, 0x00, 0x00, 0x00] as const;

export interface CommonHeader {
  ptype: number;
  pfcFlags: number;
  fragLength: number;
  authLength: number;
  callId: number;
}

/** A presentation syntax (p_syntax_id_t): an interface or transfer syntax UUID and its version. */
export interface SyntaxId {
  /** Lowercase canonical form, e.g. "8a885d04-1ceb-11c9-9fe8-08002b104860". */
  uuid: string;
  major: number;
  minor: number;
}

export const NDR_SYNTAX: SyntaxId = { uuid: NDR_SYNTAX_UUID, major: 2, minor: 0 };
export const NULL_SYNTAX: SyntaxId = { uuid: "00000000-0000-0000-0000-000000000000", major: 0, minor: 0 };

export interface PresentationContext {
  contextId: number;
  abstractSyntax: SyntaxId;
  transferSyntaxes: SyntaxId[];
}

/** A bind or an alter_context (same body, C706 §12.6.4.3 and §12.6.4.1). */
export interface BindPdu {
  header: CommonHeader;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  contexts: PresentationContext[];
}

export interface ContextResult {
  result: number;
  /** The provider reason, or the bitmask of features for RESULT_NEGOTIATE_ACK (MS-RPCE §3.3.1.5.3). */
  reason: number;
  transferSyntax: SyntaxId;
}

/** A bind_ack or an alter_context_resp (C706 §12.6.4.4 and §12.6.4.2). */
export interface BindAckPdu {
  ptype: typeof PTYPE_BIND_ACK | typeof PTYPE_ALTER_CONTEXT_RESP;
  callId: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  /** The port_any_t, e.g. "\\PIPE\\srvsvc"; "" writes an empty one (alter_context_resp). */
  secondaryAddress: string;
  results: ContextResult[];
}

export interface RequestPdu {
  header: CommonHeader;
  allocHint: number;
  contextId: number;
  opnum: number;
  /** The object UUID when PFC_OBJECT_UUID is set. */
  object: string | null;
  /** The stub data of this fragment, without any auth verifier: a view into the PDU. */
  stub: Buffer;
}

export interface ResponsePdu {
  header: CommonHeader;
  allocHint: number;
  contextId: number;
  cancelCount: number;
  stub: Buffer;
}

export interface FaultPdu {
  header: CommonHeader;
  allocHint: number;
  contextId: number;
  cancelCount: number;
  status: number;
}

/**
 * The fragment length announced by a PDU starting at `offset`, or null while fewer than the 16
 * header bytes are there. The header is validated first, so a caller can bound its buffering by
 * this value.
 */
export function peekFragLength(buf: Buffer, offset = 0): number | null {
  if (buf.length - offset < COMMON_HEADER_LENGTH) return null;
  return decodeCommonHeader(buf.subarray(offset, offset + COMMON_HEADER_LENGTH), false).fragLength;
}

/**
 * The common header (C706 §12.6.3.1): version 5.0 (or 5.1), little-endian data representation,
 * a frag_length that covers at least the header and, when `whole`, exactly `pdu`.
 */
export function decodeCommonHeader(pdu: Buffer, whole = true): CommonHeader {
  if (pdu.length < COMMON_HEADER_LENGTH) throw new DcerpcError(`DCE/RPC PDU of ${pdu.length} bytes is shorter than its header`);
  const major = pdu[0]!;
  const minor = pdu[1]!;
  if (major !== 5 || minor > 1) throw new DcerpcError(`unsupported DCE/RPC version ${major}.${minor} (want 5.0)`);
  if ((pdu[4]! & 0xf0) !== 0x10) {
    throw new DcerpcError(`unsupported DCE/RPC data representation 0x${pdu[4]!.toString(16)}: only little-endian is accepted`);
  }
  if ((pdu[4]! & 0x0f) !== 0 || pdu[5] !== 0) {
    throw new DcerpcError("unsupported DCE/RPC data representation: only ASCII characters and IEEE floats are accepted");
  }
  const fragLength = pdu.readUInt16LE(8);
  const authLength = pdu.readUInt16LE(10);
  if (fragLength < COMMON_HEADER_LENGTH) throw new DcerpcError(`DCE/RPC frag_length ${fragLength} is shorter than the header`);
  if (whole && fragLength !== pdu.length) {
    throw new DcerpcError(`DCE/RPC frag_length ${fragLength} does not match the ${pdu.length} bytes of the PDU`);
  }
  if (authLength > 0 && authLength + SEC_TRAILER_LENGTH > fragLength - COMMON_HEADER_LENGTH) {
    throw new DcerpcError(`DCE/RPC auth_length ${authLength} does not fit in a PDU of ${fragLength} bytes`);
  }
  return { ptype: pdu[2]!, pfcFlags: pdu[3]!, fragLength, authLength, callId: pdu.readUInt32LE(12) };
}

function writeCommonHeader(pdu: Buffer, ptype: number, pfcFlags: number, callId: number): void {
  pdu[0] = 5;
  pdu[1] = 0;
  pdu[2] = ptype;
  pdu[3] = pfcFlags;
  pdu.set(DREP_LITTLE_ENDIAN_ASCII_IEEE, 4);
  pdu.writeUInt16LE(pdu.length, 8);
  pdu.writeUInt16LE(0, 10);
  pdu.writeUInt32LE(callId >>> 0, 12);
}

/** A UUID in its NDR wire form (first three fields little-endian, C706 Appendix A). */
export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  const b = Buffer.from(hex, "hex");
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

export function uuidFromBytes(buf: Buffer, offset: number): string {
  const b = Buffer.from(buf.subarray(offset, offset + 16));
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function readSyntax(buf: Buffer, at: number): SyntaxId {
  return { uuid: uuidFromBytes(buf, at), major: buf.readUInt16LE(at + 16), minor: buf.readUInt16LE(at + 18) };
}

function writeSyntax(buf: Buffer, at: number, syntax: SyntaxId): void {
  uuidToBytes(syntax.uuid).copy(buf, at);
  buf.writeUInt16LE(syntax.major, at + 16);
  buf.writeUInt16LE(syntax.minor, at + 18);
}

const SYNTAX_LENGTH = 20;

/** The end of a PDU's body: before the auth verifier and its padding when there is one. */
function bodyEnd(pdu: Buffer, header: CommonHeader, bodyStart: number): number {
  if (header.authLength === 0) return header.fragLength;
  const trailer = header.fragLength - header.authLength - SEC_TRAILER_LENGTH;
  const authPad = pdu[trailer + 2]!;
  if (trailer - authPad < bodyStart) throw new DcerpcError(`DCE/RPC auth padding of ${authPad} bytes overlaps the PDU body`);
  return trailer - authPad;
}

/** A bind or alter_context PDU (C706 §12.6.4.3): the presentation contexts it proposes. */
export function decodeBind(pdu: Buffer): BindPdu {
  const header = decodeCommonHeader(pdu);
  if (header.ptype !== PTYPE_BIND && header.ptype !== PTYPE_ALTER_CONTEXT) {
    throw new DcerpcError(`DCE/RPC PDU type ${header.ptype} is not a bind`);
  }
  const end = bodyEnd(pdu, header, COMMON_HEADER_LENGTH);
  if (end < 28) throw new DcerpcError("truncated DCE/RPC bind");
  const count = pdu[24]!;
  const contexts: PresentationContext[] = [];
  let at = 28;
  for (let i = 0; i < count; i++) {
    if (at + 4 + SYNTAX_LENGTH > end) throw new DcerpcError(`truncated DCE/RPC bind: presentation context ${i} of ${count}`);
    const contextId = pdu.readUInt16LE(at);
    const transferCount = pdu[at + 2]!;
    const abstractSyntax = readSyntax(pdu, at + 4);
    at += 4 + SYNTAX_LENGTH;
    if (transferCount === 0) throw new DcerpcError(`DCE/RPC presentation context ${contextId} proposes no transfer syntax`);
    if (at + transferCount * SYNTAX_LENGTH > end) throw new DcerpcError(`truncated DCE/RPC bind: transfer syntaxes of context ${contextId}`);
    const transferSyntaxes: SyntaxId[] = [];
    for (let t = 0; t < transferCount; t++, at += SYNTAX_LENGTH) transferSyntaxes.push(readSyntax(pdu, at));
    contexts.push({ contextId, abstractSyntax, transferSyntaxes });
  }
  return {
    header,
    maxXmitFrag: pdu.readUInt16LE(16),
    maxRecvFrag: pdu.readUInt16LE(18),
    assocGroupId: pdu.readUInt32LE(20),
    contexts,
  };
}

/** A bind (or alter_context) PDU without an auth verifier: the client side, for tests and tools. */
export function encodeBind(bind: {
  ptype?: typeof PTYPE_BIND | typeof PTYPE_ALTER_CONTEXT;
  callId: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  contexts: PresentationContext[];
}): Buffer {
  const size = bind.contexts.reduce((n, c) => n + 4 + SYNTAX_LENGTH * (1 + c.transferSyntaxes.length), 28);
  const pdu = Buffer.alloc(size);
  writeCommonHeader(pdu, bind.ptype ?? PTYPE_BIND, PFC_FIRST_FRAG | PFC_LAST_FRAG, bind.callId);
  pdu.writeUInt16LE(bind.maxXmitFrag, 16);
  pdu.writeUInt16LE(bind.maxRecvFrag, 18);
  pdu.writeUInt32LE(bind.assocGroupId >>> 0, 20);
  pdu[24] = bind.contexts.length;
  let at = 28;
  for (const c of bind.contexts) {
    pdu.writeUInt16LE(c.contextId, at);
    pdu[at + 2] = c.transferSyntaxes.length;
    writeSyntax(pdu, at + 4, c.abstractSyntax);
    at += 4 + SYNTAX_LENGTH;
    for (const t of c.transferSyntaxes) {
      writeSyntax(pdu, at, t);
      at += SYNTAX_LENGTH;
    }
  }
  return pdu;
}

/** A bind_ack or alter_context_resp (C706 §12.6.4.4): the secondary address, then one result per context. */
export function encodeBindAck(ack: BindAckPdu): Buffer {
  const address = ack.secondaryAddress ? Buffer.from(`${ack.secondaryAddress}\0`, "latin1") : Buffer.alloc(0);
  const resultsAt = (26 + address.length + 3) & ~3;
  const pdu = Buffer.alloc(resultsAt + 4 + ack.results.length * (4 + SYNTAX_LENGTH));
  writeCommonHeader(pdu, ack.ptype, PFC_FIRST_FRAG | PFC_LAST_FRAG, ack.callId);
  pdu.writeUInt16LE(ack.maxXmitFrag, 16);
  pdu.writeUInt16LE(ack.maxRecvFrag, 18);
  pdu.writeUInt32LE(ack.assocGroupId >>> 0, 20);
  pdu.writeUInt16LE(address.length, 24);
  address.copy(pdu, 26);
  pdu[resultsAt] = ack.results.length;
  let at = resultsAt + 4;
  for (const r of ack.results) {
    pdu.writeUInt16LE(r.result, at);
    pdu.writeUInt16LE(r.reason, at + 2);
    writeSyntax(pdu, at + 4, r.transferSyntax);
    at += 4 + SYNTAX_LENGTH;
  }
  return pdu;
}

export function decodeBindAck(pdu: Buffer): BindAckPdu {
  const header = decodeCommonHeader(pdu);
  if (header.ptype !== PTYPE_BIND_ACK && header.ptype !== PTYPE_ALTER_CONTEXT_RESP) {
    throw new DcerpcError(`DCE/RPC PDU type ${header.ptype} is not a bind_ack`);
  }
  const end = bodyEnd(pdu, header, COMMON_HEADER_LENGTH);
  if (end < 26) throw new DcerpcError("truncated DCE/RPC bind_ack");
  const addressLength = pdu.readUInt16LE(24);
  const resultsAt = (26 + addressLength + 3) & ~3;
  if (resultsAt + 4 > end) throw new DcerpcError("truncated DCE/RPC bind_ack: secondary address");
  const count = pdu[resultsAt]!;
  if (resultsAt + 4 + count * (4 + SYNTAX_LENGTH) > end) throw new DcerpcError("truncated DCE/RPC bind_ack: results");
  const results: ContextResult[] = [];
  for (let i = 0, at = resultsAt + 4; i < count; i++, at += 4 + SYNTAX_LENGTH) {
    results.push({ result: pdu.readUInt16LE(at), reason: pdu.readUInt16LE(at + 2), transferSyntax: readSyntax(pdu, at + 4) });
  }
  return {
    ptype: header.ptype,
    callId: header.callId,
    maxXmitFrag: pdu.readUInt16LE(16),
    maxRecvFrag: pdu.readUInt16LE(18),
    assocGroupId: pdu.readUInt32LE(20),
    secondaryAddress: pdu.toString("latin1", 26, 26 + Math.max(0, addressLength - 1)),
    results,
  };
}

/** A bind_nak (C706 §12.6.4.5) offering protocol version 5.0. */
export function encodeBindNak(callId: number, reason: number): Buffer {
  const pdu = Buffer.alloc(24);
  writeCommonHeader(pdu, PTYPE_BIND_NAK, PFC_FIRST_FRAG | PFC_LAST_FRAG, callId);
  pdu.writeUInt16LE(reason, 16);
  pdu[18] = 1; // n_protocols
  pdu[19] = 5; // rpc_vers
  pdu[20] = 0; // rpc_vers_minor
  return pdu;
}

export function decodeBindNak(pdu: Buffer): { callId: number; reason: number } {
  const header = decodeCommonHeader(pdu);
  if (header.ptype !== PTYPE_BIND_NAK || pdu.length < 18) throw new DcerpcError("not a DCE/RPC bind_nak");
  return { callId: header.callId, reason: pdu.readUInt16LE(16) };
}

/** One request fragment (C706 §12.6.4.9); its stub is a view into `pdu`. */
export function decodeRequest(pdu: Buffer): RequestPdu {
  const header = decodeCommonHeader(pdu);
  if (header.ptype !== PTYPE_REQUEST) throw new DcerpcError(`DCE/RPC PDU type ${header.ptype} is not a request`);
  const hasObject = (header.pfcFlags & PFC_OBJECT_UUID) !== 0;
  const stubStart = REQUEST_HEADER_LENGTH + (hasObject ? 16 : 0);
  const end = bodyEnd(pdu, header, stubStart);
  if (end < stubStart) throw new DcerpcError("truncated DCE/RPC request");
  return {
    header,
    allocHint: pdu.readUInt32LE(16),
    contextId: pdu.readUInt16LE(20),
    opnum: pdu.readUInt16LE(22),
    object: hasObject ? uuidFromBytes(pdu, REQUEST_HEADER_LENGTH) : null,
    stub: pdu.subarray(stubStart, end),
  };
}

/** One request fragment without object UUID or auth verifier: the client side, for tests and tools. */
export function encodeRequest(req: {
  callId: number;
  contextId: number;
  opnum: number;
  stub: Buffer;
  allocHint?: number;
  pfcFlags?: number;
}): Buffer {
  const pdu = Buffer.alloc(REQUEST_HEADER_LENGTH + req.stub.length);
  writeCommonHeader(pdu, PTYPE_REQUEST, req.pfcFlags ?? PFC_FIRST_FRAG | PFC_LAST_FRAG, req.callId);
  pdu.writeUInt32LE(req.allocHint ?? req.stub.length, 16);
  pdu.writeUInt16LE(req.contextId, 20);
  pdu.writeUInt16LE(req.opnum, 22);
  req.stub.copy(pdu, REQUEST_HEADER_LENGTH);
  return pdu;
}

/**
 * A response's stub cut into fragments of at most `maxFrag` bytes (C706 §12.6.4.10). Every
 * fragment but the last carries a multiple of 8 stub bytes, so NDR alignment holds across them;
 * alloc_hint is the stub still to come, this fragment included.
 */
export function encodeResponseFragments(callId: number, contextId: number, stub: Buffer, maxFrag: number): Buffer[] {
  const perFragment = (maxFrag - RESPONSE_HEADER_LENGTH) & ~7;
  if (perFragment <= 0) throw new RangeError(`fragment size ${maxFrag} cannot carry a response`);
  const fragments: Buffer[] = [];
  let offset = 0;
  do {
    const size = Math.min(perFragment, stub.length - offset);
    const last = offset + size === stub.length;
    const pdu = Buffer.alloc(RESPONSE_HEADER_LENGTH + size);
    writeCommonHeader(pdu, PTYPE_RESPONSE, (offset === 0 ? PFC_FIRST_FRAG : 0) | (last ? PFC_LAST_FRAG : 0), callId);
    pdu.writeUInt32LE(stub.length - offset, 16);
    pdu.writeUInt16LE(contextId, 20);
    stub.copy(pdu, RESPONSE_HEADER_LENGTH, offset, offset + size);
    fragments.push(pdu);
    offset += size;
  } while (offset < stub.length);
  return fragments;
}

export function decodeResponse(pdu: Buffer): ResponsePdu {
  const header = decodeCommonHeader(pdu);
  if (header.ptype !== PTYPE_RESPONSE) throw new DcerpcError(`DCE/RPC PDU type ${header.ptype} is not a response`);
  const end = bodyEnd(pdu, header, RESPONSE_HEADER_LENGTH);
  if (end < RESPONSE_HEADER_LENGTH) throw new DcerpcError("truncated DCE/RPC response");
  return {
    header,
    allocHint: pdu.readUInt32LE(16),
    contextId: pdu.readUInt16LE(20),
    cancelCount: pdu[22]!,
    stub: pdu.subarray(RESPONSE_HEADER_LENGTH, end),
  };
}

/** A fault (C706 §12.6.4.7); the call was not executed unless `executed` says so. */
export function encodeFault(callId: number, contextId: number, status: number, executed = false): Buffer {
  const pdu = Buffer.alloc(32);
  writeCommonHeader(pdu, PTYPE_FAULT, PFC_FIRST_FRAG | PFC_LAST_FRAG | (executed ? 0 : PFC_DID_NOT_EXECUTE), callId);
  pdu.writeUInt16LE(contextId, 20);
  pdu.writeUInt32LE(status >>> 0, 24);
  return pdu;
}

export function decodeFault(pdu: Buffer): FaultPdu {
  const header = decodeCommonHeader(pdu);
  if (header.ptype !== PTYPE_FAULT) throw new DcerpcError(`DCE/RPC PDU type ${header.ptype} is not a fault`);
  if (pdu.length < 28) throw new DcerpcError("truncated DCE/RPC fault");
  return {
    header,
    allocHint: pdu.readUInt32LE(16),
    contextId: pdu.readUInt16LE(20),
    cancelCount: pdu[22]!,
    status: pdu.readUInt32LE(24),
  };
}
