/**
 * The part of SPNEGO (RFC 4178, MS-SPNG) an SMB2 server needs to carry NTLMSSP: the NegTokenInit2
 * of the NEGOTIATE response, a client's NegTokenInit (inside the GSS-API InitialContextToken of
 * RFC 2743 §3.1) and NegTokenResp, and the server's NegTokenResp. DER only as far as these use it.
 *
 * Decoding reads fixed structures (no recursion, so nesting is bounded by construction), checks
 * every length against the enclosing element, accepts the short and long (1-4 byte) length forms,
 * refuses the indefinite form and high tag numbers, and throws SpnegoError on anything malformed.
 */

export class SpnegoError extends Error {
  override name = "SpnegoError";
}

/** The SPNEGO mechanism (RFC 4178 §3) and the NTLMSSP mechanism (MS-NLMP §1.9). */
export const OID_SPNEGO = "1.3.6.1.5.5.2";
export const OID_NTLMSSP = "1.3.6.1.4.1.311.2.2.10";

/** negState (RFC 4178 §4.2.2). */
export const NEG_STATE_ACCEPT_COMPLETED = 0;
export const NEG_STATE_ACCEPT_INCOMPLETE = 1;
export const NEG_STATE_REJECT = 2;
export const NEG_STATE_REQUEST_MIC = 3;

/** The hint Windows and Samba put in NegTokenInit2 (MS-SPNG §2.2.1). */
export const NEG_HINT_NAME = "not_defined_in_RFC4178@please_ignore";

export interface NegTokenInit {
  mechTypes: string[];
  /** The DER MechTypeList exactly as the client sent it: what a mechListMIC signs (RFC 4178 §5). */
  mechTypesDer: Buffer;
  mechToken?: Buffer;
  mechListMIC?: Buffer;
}

export interface NegTokenResp {
  negState?: number;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMIC?: Buffer;
}

const TAG_INTEGER_ENUMERATED = 0x0a;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_GENERAL_STRING = 0x1b;
const TAG_SEQUENCE = 0x30;
const TAG_APPLICATION_0 = 0x60;
const context = (n: number): number => 0xa0 + n;
/** Longest OID we decode; ours are 6 and 10 bytes. */
const MAX_OID_BYTES = 32;

// ---- DER reading ----------------------------------------------------------------------------

interface Tlv {
  tag: number;
  /** Content bytes are [start, end). */
  start: number;
  end: number;
}

function readTlv(buf: Buffer, at: number, limit: number): Tlv {
  if (limit - at < 2) throw new SpnegoError(`DER element truncated at offset ${at}`);
  const tag = buf[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new SpnegoError(`DER high tag number at offset ${at}`);
  const first = buf[at + 1] as number;
  let pos = at + 2;
  let length = first;
  if (first === 0x80) throw new SpnegoError(`DER indefinite length at offset ${at}`);
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new SpnegoError(`DER length of ${count} bytes at offset ${at}`);
    if (limit - pos < count) throw new SpnegoError(`DER length truncated at offset ${at}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[pos++] as number);
  }
  if (length > limit - pos) throw new SpnegoError(`DER element of ${length} bytes at offset ${at} runs past its container`);
  return { tag, start: pos, end: pos + length };
}

function expectTlv(buf: Buffer, at: number, limit: number, tag: number, what: string): Tlv {
  const tlv = readTlv(buf, at, limit);
  if (tlv.tag !== tag) throw new SpnegoError(`${what}: tag 0x${tlv.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return tlv;
}

/** The elements of a constructed value, in order. */
function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const tlv = readTlv(buf, at, parent.end);
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

/** The single element inside an explicit context tag, which must be `tag` and fill it exactly. */
function inner(buf: Buffer, wrapper: Tlv, tag: number, what: string): Tlv {
  const tlv = expectTlv(buf, wrapper.start, wrapper.end, tag, what);
  if (tlv.end !== wrapper.end) throw new SpnegoError(`${what}: trailing bytes`);
  return tlv;
}

function decodeOid(content: Buffer): string {
  if (content.length === 0 || content.length > MAX_OID_BYTES) throw new SpnegoError(`OID of ${content.length} bytes`);
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i] as number;
    if (value === 0 && byte === 0x80) throw new SpnegoError("OID arc with a leading 0x80");
    value = value * 128 + (byte & 0x7f);
    if (value > 0xffffffff) throw new SpnegoError("OID arc too large");
    if (byte & 0x80) {
      if (i === content.length - 1) throw new SpnegoError("OID ends inside an arc");
      continue;
    }
    if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else arcs.push(value);
    value = 0;
  }
  return arcs.join(".");
}

function decodeMechTypeList(buf: Buffer, list: Tlv): string[] {
  if (list.tag !== TAG_SEQUENCE) throw new SpnegoError("MechTypeList is not a SEQUENCE");
  return children(buf, list).map((tlv) => {
    if (tlv.tag !== TAG_OID) throw new SpnegoError("MechTypeList holds a non-OID");
    return decodeOid(buf.subarray(tlv.start, tlv.end));
  });
}

function octets(buf: Buffer, wrapper: Tlv, what: string): Buffer {
  const tlv = inner(buf, wrapper, TAG_OCTET_STRING, what);
  return buf.subarray(tlv.start, tlv.end);
}

/** True when `buf` looks like a SPNEGO token rather than a raw NTLMSSP message. */
export function isSpnegoToken(buf: Buffer): boolean {
  return buf.length > 0 && (buf[0] === TAG_APPLICATION_0 || buf[0] === context(0) || buf[0] === context(1));
}

/**
 * A client's first token: the InitialContextToken [APPLICATION 0] { thisMech = SPNEGO,
 * NegotiationToken.negTokenInit [0] } (RFC 4178 §4.2), or the bare negTokenInit some clients send.
 * Also reads the NegTokenInit2 form (MS-SPNG §2.2.1).
 */
export function decodeNegTokenInit(buf: Buffer): NegTokenInit {
  let at = 0;
  let limit = buf.length;
  if (buf[0] === TAG_APPLICATION_0) {
    const app = expectTlv(buf, 0, buf.length, TAG_APPLICATION_0, "InitialContextToken");
    const mech = expectTlv(buf, app.start, app.end, TAG_OID, "thisMech");
    const oid = decodeOid(buf.subarray(mech.start, mech.end));
    if (oid !== OID_SPNEGO) throw new SpnegoError(`InitialContextToken for mechanism ${oid}, not SPNEGO`);
    at = mech.end;
    limit = app.end;
  }
  const choice = expectTlv(buf, at, limit, context(0), "negTokenInit");
  const sequence = inner(buf, choice, TAG_SEQUENCE, "NegTokenInit");
  let token: NegTokenInit | undefined;
  let mechToken: Buffer | undefined;
  let mechListMIC: Buffer | undefined;
  for (const field of children(buf, sequence)) {
    if (field.tag === context(0)) {
      const list = readTlv(buf, field.start, field.end);
      if (list.end !== field.end) throw new SpnegoError("mechTypes: trailing bytes");
      const mechTypesDer = buf.subarray(field.start, list.end);
      token = { mechTypes: decodeMechTypeList(buf, list), mechTypesDer };
    } else if (field.tag === context(2)) {
      mechToken = octets(buf, field, "mechToken");
    } else if (field.tag === context(3) && buf[field.start] === TAG_OCTET_STRING) {
      mechListMIC = octets(buf, field, "mechListMIC");
    } else if (field.tag === context(4)) {
      // NegTokenInit2 (MS-SPNG §2.2.1) moves mechListMIC to [4]; its [3] is negHints, ignored.
      mechListMIC = octets(buf, field, "mechListMIC");
    } else if (field.tag !== context(1) && field.tag !== context(3)) {
      throw new SpnegoError(`NegTokenInit field 0x${field.tag.toString(16)}`);
    }
  }
  if (!token) throw new SpnegoError("NegTokenInit without mechTypes");
  if (mechToken) token.mechToken = mechToken;
  if (mechListMIC) token.mechListMIC = mechListMIC;
  return token;
}

/** NegotiationToken.negTokenResp [1] (RFC 4178 §4.2.2). */
export function decodeNegTokenResp(buf: Buffer): NegTokenResp {
  const choice = expectTlv(buf, 0, buf.length, context(1), "negTokenResp");
  const sequence = inner(buf, choice, TAG_SEQUENCE, "NegTokenResp");
  const resp: NegTokenResp = {};
  for (const field of children(buf, sequence)) {
    if (field.tag === context(0)) {
      const value = inner(buf, field, TAG_INTEGER_ENUMERATED, "negState");
      if (value.end - value.start !== 1) throw new SpnegoError("negState is not one byte");
      resp.negState = buf[value.start] as number;
    } else if (field.tag === context(1)) {
      const oid = inner(buf, field, TAG_OID, "supportedMech");
      resp.supportedMech = decodeOid(buf.subarray(oid.start, oid.end));
    } else if (field.tag === context(2)) {
      resp.responseToken = octets(buf, field, "responseToken");
    } else if (field.tag === context(3)) {
      resp.mechListMIC = octets(buf, field, "mechListMIC");
    } else {
      throw new SpnegoError(`NegTokenResp field 0x${field.tag.toString(16)}`);
    }
  }
  return resp;
}

// ---- DER writing ----------------------------------------------------------------------------

function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const length = contents.reduce((sum, part) => sum + part.length, 0);
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
  else if (length < 0x10000) header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  else header = Buffer.from([tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
  return Buffer.concat([header, ...contents]);
}

function encodeOid(oid: string): Buffer {
  const arcs = oid.split(".").map(Number);
  const [a = 0, b = 0, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(TAG_OID, Buffer.from(bytes));
}

/** The DER MechTypeList: SEQUENCE OF MechType. */
export function encodeMechTypeList(mechTypes: readonly string[]): Buffer {
  return tlv(TAG_SEQUENCE, ...mechTypes.map(encodeOid));
}

/**
 * The NegTokenInit2 a server sends unprompted in its SMB2 NEGOTIATE response (MS-SPNG §2.2.1):
 * InitialContextToken { SPNEGO, [0] { mechTypes, negHints { hintName } } }.
 */
export function encodeNegTokenInit2(mechTypes: readonly string[], hintName = NEG_HINT_NAME): Buffer {
  const negHints = tlv(TAG_SEQUENCE, tlv(context(0), tlv(TAG_GENERAL_STRING, Buffer.from(hintName, "latin1"))));
  const init = tlv(TAG_SEQUENCE, tlv(context(0), encodeMechTypeList(mechTypes)), tlv(context(3), negHints));
  return tlv(TAG_APPLICATION_0, encodeOid(OID_SPNEGO), tlv(context(0), init));
}

/** A client's first token (InitialContextToken with a NegTokenInit): for tests and clients. */
export function encodeNegTokenInit(token: { mechTypes: readonly string[]; mechToken?: Buffer }): Buffer {
  const fields = [tlv(context(0), encodeMechTypeList(token.mechTypes))];
  if (token.mechToken) fields.push(tlv(context(2), tlv(TAG_OCTET_STRING, token.mechToken)));
  return tlv(TAG_APPLICATION_0, encodeOid(OID_SPNEGO), tlv(context(0), tlv(TAG_SEQUENCE, ...fields)));
}

export function encodeNegTokenResp(resp: NegTokenResp): Buffer {
  const fields: Buffer[] = [];
  if (resp.negState !== undefined) fields.push(tlv(context(0), tlv(TAG_INTEGER_ENUMERATED, Buffer.from([resp.negState]))));
  if (resp.supportedMech) fields.push(tlv(context(1), encodeOid(resp.supportedMech)));
  if (resp.responseToken) fields.push(tlv(context(2), tlv(TAG_OCTET_STRING, resp.responseToken)));
  if (resp.mechListMIC) fields.push(tlv(context(3), tlv(TAG_OCTET_STRING, resp.mechListMIC)));
  return tlv(context(1), tlv(TAG_SEQUENCE, ...fields));
}
