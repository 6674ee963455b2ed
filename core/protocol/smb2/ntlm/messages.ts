/**
 * NTLMSSP messages (MS-NLMP §2.2): NEGOTIATE_MESSAGE, CHALLENGE_MESSAGE, AUTHENTICATE_MESSAGE,
 * the AV_PAIR list, the VERSION structure and the NTLMv2 client challenge. Pure codecs: decoding
 * checks every (Len, MaxLen, BufferOffset) field against the message and throws NtlmMessageError
 * on anything malformed; a field is returned as a view into the message, not a copy.
 */

/** The message cannot be decoded (truncated, bad signature, field outside the message...). */
export class NtlmMessageError extends Error {
  override name = "NtlmMessageError";
}

/** Signature (§2.2.1): "NTLMSSP\0". */
export const NTLMSSP_SIGNATURE = Buffer.from("NTLMSSP\0", "latin1");

/** MessageType values (§2.2.1.1-3). */
export const NtLmNegotiate = 0x00000001;
export const NtLmChallenge = 0x00000002;
export const NtLmAuthenticate = 0x00000003;

/** NEGOTIATE flags (§2.2.2.5). */
export const NTLMSSP_NEGOTIATE_UNICODE = 0x00000001;
export const NTLM_NEGOTIATE_OEM = 0x00000002;
export const NTLMSSP_REQUEST_TARGET = 0x00000004;
export const NTLMSSP_NEGOTIATE_SIGN = 0x00000010;
export const NTLMSSP_NEGOTIATE_SEAL = 0x00000020;
export const NTLMSSP_NEGOTIATE_DATAGRAM = 0x00000040;
export const NTLMSSP_NEGOTIATE_LM_KEY = 0x00000080;
export const NTLMSSP_NEGOTIATE_NTLM = 0x00000200;
export const NTLMSSP_ANONYMOUS = 0x00000800;
export const NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED = 0x00001000;
export const NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED = 0x00002000;
export const NTLMSSP_NEGOTIATE_ALWAYS_SIGN = 0x00008000;
export const NTLMSSP_TARGET_TYPE_DOMAIN = 0x00010000;
export const NTLMSSP_TARGET_TYPE_SERVER = 0x00020000;
export const NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
export const NTLMSSP_NEGOTIATE_IDENTIFY = 0x00100000;
export const NTLMSSP_REQUEST_NON_NT_SESSION_KEY = 0x00400000;
export const NTLMSSP_NEGOTIATE_TARGET_INFO = 0x00800000;
export const NTLMSSP_NEGOTIATE_VERSION = 0x02000000;
export const NTLMSSP_NEGOTIATE_128 = 0x20000000;
export const NTLMSSP_NEGOTIATE_KEY_EXCH = 0x40000000;
export const NTLMSSP_NEGOTIATE_56 = 0x80000000;

/** AvId values (§2.2.2.1). */
export const MsvAvEOL = 0x0000;
export const MsvAvNbComputerName = 0x0001;
export const MsvAvNbDomainName = 0x0002;
export const MsvAvDnsComputerName = 0x0003;
export const MsvAvDnsDomainName = 0x0004;
export const MsvAvDnsTreeName = 0x0005;
export const MsvAvFlags = 0x0006;
export const MsvAvTimestamp = 0x0007;
export const MsvAvSingleHost = 0x0008;
export const MsvAvTargetName = 0x0009;
export const MsvAvChannelBindings = 0x000a;

/** MsvAvFlags bit (§2.2.2.1): "the client is providing message integrity in the MIC field". */
export const MSV_AV_FLAGS_MIC_PRESENT = 0x00000002;

/** NTLMRevisionCurrent (§2.2.2.10). */
export const NTLMSSP_REVISION_W2K3 = 0x0f;

/** Where the MIC sits in an AUTHENTICATE_MESSAGE that has one (§2.2.1.3), and its length. */
export const AUTHENTICATE_MIC_OFFSET = 72;
export const AUTHENTICATE_MIC_LENGTH = 16;

/** VERSION (§2.2.2.10): for debugging only, never for decisions. */
export interface NtlmVersion {
  major: number;
  minor: number;
  build: number;
  revision: number;
}

export interface AvPair {
  id: number;
  value: Buffer;
}

export interface NegotiateMessage {
  flags: number;
  /** OEM names, present only with the *_SUPPLIED flags; usually empty. */
  domain: string;
  workstation: string;
  version?: NtlmVersion;
}

export interface ChallengeMessage {
  flags: number;
  serverChallenge: Buffer;
  targetName: string;
  targetInfo: AvPair[];
  version?: NtlmVersion;
}

export interface AuthenticateMessage {
  flags: number;
  lmChallengeResponse: Buffer;
  ntChallengeResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  version?: NtlmVersion;
  /** The MIC field, when the message has room for one before its payload. */
  mic?: Buffer;
}

/** NTLMv2_CLIENT_CHALLENGE (§2.2.2.7): the "temp" of §3.3.2 without its trailing padding. */
export interface NtlmV2ClientChallenge {
  /** FILETIME: 100 ns intervals since 1601-01-01 UTC. */
  timestamp: bigint;
  challengeFromClient: Buffer;
  avPairs: AvPair[];
}

const EMPTY = Buffer.alloc(0);
const NEGOTIATE_HEADER = 32;
const CHALLENGE_HEADER = 48;
const AUTHENTICATE_HEADER = 64;
const VERSION_LENGTH = 8;

// ---- decoding -------------------------------------------------------------------------------

function checkHeader(buf: Buffer, type: number, minLength: number): void {
  if (buf.length < minLength) throw new NtlmMessageError(`NTLM message of ${buf.length} bytes is truncated`);
  if (!buf.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) throw new NtlmMessageError("not an NTLMSSP message");
  const actual = buf.readUInt32LE(8);
  if (actual !== type) throw new NtlmMessageError(`NTLM message type ${actual}, expected ${type}`);
}

/** The MessageType of an NTLMSSP message, or undefined when `buf` is not one. */
export function ntlmMessageType(buf: Buffer): number | undefined {
  if (buf.length < 12 || !buf.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) return undefined;
  return buf.readUInt32LE(8);
}

/**
 * A (Len, MaxLen, BufferOffset) field at `at` (§2.2.1): the bytes it points at, which must lie
 * in the payload (after the fixed header) and inside the message. MaxLen is not trusted.
 */
function readField(buf: Buffer, at: number, headerLength: number, what: string): { bytes: Buffer; offset: number } {
  const length = buf.readUInt16LE(at);
  const offset = buf.readUInt32LE(at + 4);
  if (length === 0) return { bytes: EMPTY, offset: Infinity };
  if (offset < headerLength || offset > buf.length || length > buf.length - offset) {
    throw new NtlmMessageError(`${what} (${length} bytes at ${offset}) lies outside the ${buf.length}-byte message`);
  }
  return { bytes: buf.subarray(offset, offset + length), offset };
}

function decodeString(bytes: Buffer, unicode: boolean, what: string): string {
  if (!unicode) return bytes.toString("latin1");
  if (bytes.length % 2 !== 0) throw new NtlmMessageError(`${what} has an odd length in UTF-16`);
  return bytes.toString("utf16le");
}

function readVersion(buf: Buffer, at: number): NtlmVersion {
  return { major: buf[at] as number, minor: buf[at + 1] as number, build: buf.readUInt16LE(at + 2), revision: buf[at + 7] as number };
}

export function decodeNegotiate(buf: Buffer): NegotiateMessage {
  checkHeader(buf, NtLmNegotiate, 16);
  const flags = buf.readUInt32LE(12);
  // Old clients send only the first 16 bytes; the name fields and VERSION follow when present.
  if (buf.length < NEGOTIATE_HEADER) return { flags, domain: "", workstation: "" };
  const domain = readField(buf, 16, NEGOTIATE_HEADER, "DomainNameFields");
  const workstation = readField(buf, 24, NEGOTIATE_HEADER, "WorkstationFields");
  const payloadStart = Math.min(domain.offset, workstation.offset, buf.length);
  const message: NegotiateMessage = {
    flags,
    domain: flags & NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED ? domain.bytes.toString("latin1") : "",
    workstation: flags & NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED ? workstation.bytes.toString("latin1") : "",
  };
  if (flags & NTLMSSP_NEGOTIATE_VERSION && payloadStart >= NEGOTIATE_HEADER + VERSION_LENGTH) {
    message.version = readVersion(buf, NEGOTIATE_HEADER);
  }
  return message;
}

export function decodeChallenge(buf: Buffer): ChallengeMessage {
  checkHeader(buf, NtLmChallenge, 32);
  const flags = buf.readUInt32LE(20);
  const unicode = (flags & NTLMSSP_NEGOTIATE_UNICODE) !== 0;
  const targetName = readField(buf, 12, 32, "TargetNameFields");
  const serverChallenge = buf.subarray(24, 32);
  if (buf.length < CHALLENGE_HEADER) {
    return { flags, serverChallenge, targetName: decodeString(targetName.bytes, unicode, "TargetName"), targetInfo: [] };
  }
  const targetInfo = readField(buf, 40, CHALLENGE_HEADER, "TargetInfoFields");
  const payloadStart = Math.min(targetName.offset, targetInfo.offset, buf.length);
  const message: ChallengeMessage = {
    flags,
    serverChallenge,
    targetName: decodeString(targetName.bytes, unicode, "TargetName"),
    targetInfo: targetInfo.bytes.length > 0 ? decodeAvPairs(targetInfo.bytes) : [],
  };
  if (flags & NTLMSSP_NEGOTIATE_VERSION && payloadStart >= CHALLENGE_HEADER + VERSION_LENGTH) {
    message.version = readVersion(buf, CHALLENGE_HEADER);
  }
  return message;
}

export function decodeAuthenticate(buf: Buffer): AuthenticateMessage {
  checkHeader(buf, NtLmAuthenticate, AUTHENTICATE_HEADER);
  const flags = buf.readUInt32LE(60);
  const unicode = (flags & NTLMSSP_NEGOTIATE_UNICODE) !== 0;
  const lm = readField(buf, 12, AUTHENTICATE_HEADER, "LmChallengeResponseFields");
  const nt = readField(buf, 20, AUTHENTICATE_HEADER, "NtChallengeResponseFields");
  const domain = readField(buf, 28, AUTHENTICATE_HEADER, "DomainNameFields");
  const user = readField(buf, 36, AUTHENTICATE_HEADER, "UserNameFields");
  const workstation = readField(buf, 44, AUTHENTICATE_HEADER, "WorkstationFields");
  const key = readField(buf, 52, AUTHENTICATE_HEADER, "EncryptedRandomSessionKeyFields");
  const payloadStart = Math.min(lm.offset, nt.offset, domain.offset, user.offset, workstation.offset, key.offset, buf.length);
  const message: AuthenticateMessage = {
    flags,
    lmChallengeResponse: lm.bytes,
    ntChallengeResponse: nt.bytes,
    domain: decodeString(domain.bytes, unicode, "DomainName"),
    user: decodeString(user.bytes, unicode, "UserName"),
    workstation: decodeString(workstation.bytes, unicode, "Workstation"),
    encryptedRandomSessionKey: key.bytes,
  };
  if (flags & NTLMSSP_NEGOTIATE_VERSION && payloadStart >= AUTHENTICATE_HEADER + VERSION_LENGTH) {
    message.version = readVersion(buf, AUTHENTICATE_HEADER);
  }
  if (payloadStart >= AUTHENTICATE_MIC_OFFSET + AUTHENTICATE_MIC_LENGTH) {
    message.mic = buf.subarray(AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + AUTHENTICATE_MIC_LENGTH);
  }
  return message;
}

/** An AV_PAIR list (§2.2.2.1), up to its MsvAvEOL (which is required and not returned). */
export function decodeAvPairs(buf: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const id = buf.readUInt16LE(at);
    const length = buf.readUInt16LE(at + 2);
    at += 4;
    if (id === MsvAvEOL) return pairs;
    if (length > buf.length - at) throw new NtlmMessageError(`AV_PAIR ${id} of ${length} bytes runs past its list`);
    pairs.push({ id, value: buf.subarray(at, at + length) });
    at += length;
  }
  throw new NtlmMessageError("AV_PAIR list has no MsvAvEOL");
}

/** The NTLMv2_CLIENT_CHALLENGE at the end of an NTLMv2 response (§2.2.2.7). */
export function decodeNtlmV2ClientChallenge(buf: Buffer): NtlmV2ClientChallenge {
  if (buf.length < 28) throw new NtlmMessageError(`NTLMv2 client challenge of ${buf.length} bytes is truncated`);
  if (buf[0] !== 1 || buf[1] !== 1) throw new NtlmMessageError(`NTLMv2 client challenge version ${buf[0]}.${buf[1]}`);
  return {
    timestamp: buf.readBigUInt64LE(8),
    challengeFromClient: buf.subarray(16, 24),
    avPairs: decodeAvPairs(buf.subarray(28)),
  };
}

/** The value of the first AV_PAIR with `id`. */
export function findAvPair(pairs: readonly AvPair[], id: number): Buffer | undefined {
  return pairs.find((pair) => pair.id === id)?.value;
}

// ---- encoding -------------------------------------------------------------------------------

function encodeString(s: string, unicode: boolean): Buffer {
  return Buffer.from(s, unicode ? "utf16le" : "latin1");
}

function writeVersion(buf: Buffer, at: number, version: NtlmVersion): void {
  buf[at] = version.major;
  buf[at + 1] = version.minor;
  buf.writeUInt16LE(version.build, at + 2);
  buf[at + 7] = version.revision;
}

/**
 * Lays out a message: the fixed header (`header` bytes, filled in by `fill`), then each payload
 * in order, with its (Len, MaxLen, BufferOffset) written at its field position.
 */
function layout(header: number, fields: Array<[at: number, bytes: Buffer]>, fill: (buf: Buffer) => void): Buffer {
  const total = fields.reduce((sum, [, bytes]) => sum + bytes.length, header);
  const buf = Buffer.alloc(total);
  fill(buf);
  let offset = header;
  for (const [at, bytes] of fields) {
    if (bytes.length > 0xffff) throw new RangeError(`NTLM field of ${bytes.length} bytes`);
    buf.writeUInt16LE(bytes.length, at);
    buf.writeUInt16LE(bytes.length, at + 2);
    buf.writeUInt32LE(offset, at + 4);
    bytes.copy(buf, offset);
    offset += bytes.length;
  }
  return buf;
}

function start(buf: Buffer, type: number): void {
  NTLMSSP_SIGNATURE.copy(buf, 0);
  buf.writeUInt32LE(type, 8);
}

export function encodeNegotiate(message: NegotiateMessage): Buffer {
  const header = NEGOTIATE_HEADER + (message.version ? VERSION_LENGTH : 0);
  const fields: Array<[number, Buffer]> = [
    [16, Buffer.from(message.domain, "latin1")],
    [24, Buffer.from(message.workstation, "latin1")],
  ];
  return layout(header, fields, (buf) => {
    start(buf, NtLmNegotiate);
    buf.writeUInt32LE(message.flags >>> 0, 12);
    if (message.version) writeVersion(buf, NEGOTIATE_HEADER, message.version);
  });
}

export function encodeChallenge(message: ChallengeMessage): Buffer {
  const unicode = (message.flags & NTLMSSP_NEGOTIATE_UNICODE) !== 0;
  const header = CHALLENGE_HEADER + (message.version ? VERSION_LENGTH : 0);
  const fields: Array<[number, Buffer]> = [
    [12, encodeString(message.targetName, unicode)],
    [40, message.targetInfo.length > 0 ? encodeAvPairs(message.targetInfo) : EMPTY],
  ];
  return layout(header, fields, (buf) => {
    start(buf, NtLmChallenge);
    buf.writeUInt32LE(message.flags >>> 0, 20);
    message.serverChallenge.copy(buf, 24, 0, 8);
    if (message.version) writeVersion(buf, CHALLENGE_HEADER, message.version);
  });
}

/** Payloads in Windows' order (domain, user, workstation, LM, NT, key), as in §4.2.4.3. */
export function encodeAuthenticate(message: AuthenticateMessage): Buffer {
  const unicode = (message.flags & NTLMSSP_NEGOTIATE_UNICODE) !== 0;
  const header = message.mic
    ? AUTHENTICATE_MIC_OFFSET + AUTHENTICATE_MIC_LENGTH
    : AUTHENTICATE_HEADER + (message.version ? VERSION_LENGTH : 0);
  const fields: Array<[number, Buffer]> = [
    [28, encodeString(message.domain, unicode)],
    [36, encodeString(message.user, unicode)],
    [44, encodeString(message.workstation, unicode)],
    [12, message.lmChallengeResponse],
    [20, message.ntChallengeResponse],
    [52, message.encryptedRandomSessionKey],
  ];
  return layout(header, fields, (buf) => {
    start(buf, NtLmAuthenticate);
    buf.writeUInt32LE(message.flags >>> 0, 60);
    if (message.version) writeVersion(buf, AUTHENTICATE_HEADER, message.version);
    message.mic?.copy(buf, AUTHENTICATE_MIC_OFFSET, 0, AUTHENTICATE_MIC_LENGTH);
  });
}

/** An AV_PAIR list with its MsvAvEOL appended. */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const total = pairs.reduce((sum, pair) => sum + 4 + pair.value.length, 4);
  const buf = Buffer.alloc(total);
  let at = 0;
  for (const pair of pairs) {
    if (pair.value.length > 0xffff) throw new RangeError(`AV_PAIR of ${pair.value.length} bytes`);
    buf.writeUInt16LE(pair.id, at);
    buf.writeUInt16LE(pair.value.length, at + 2);
    pair.value.copy(buf, at + 4);
    at += 4 + pair.value.length;
  }
  return buf; // the trailing four zero bytes are the MsvAvEOL
}

/** The "temp" of §3.3.2: NTLMv2_CLIENT_CHALLENGE followed by four zero bytes. */
export function encodeNtlmV2ClientChallenge(challenge: NtlmV2ClientChallenge): Buffer {
  const pairs = encodeAvPairs(challenge.avPairs);
  const buf = Buffer.alloc(28 + pairs.length + 4);
  buf[0] = 1;
  buf[1] = 1;
  buf.writeBigUInt64LE(challenge.timestamp, 8);
  challenge.challengeFromClient.copy(buf, 16, 0, 8);
  pairs.copy(buf, 28);
  return buf;
}
