import { randomBytes } from "node:crypto";
import type { SmbDialectName } from "../../../config/types.js";
import { SmbReader, SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  SHA_512,
  SMB2_DIALECT_202,
  SMB2_DIALECT_210,
  SMB2_DIALECT_300,
  SMB2_DIALECT_302,
  SMB2_DIALECT_311,
  SMB2_DIALECT_WILDCARD,
  SMB2_ENCRYPTION_CAPABILITIES,
  SMB2_GLOBAL_CAP_ENCRYPTION,
  SMB2_GLOBAL_CAP_LARGE_MTU,
  SMB2_GLOBAL_CAP_LEASING,
  SMB2_HEADER_SIZE,
  SMB2_NEGOTIATE,
  SMB2_NEGOTIATE_SIGNING_ENABLED,
  SMB2_NEGOTIATE_SIGNING_REQUIRED,
  SMB2_PREAUTH_INTEGRITY_CAPABILITIES,
  SMB2_SIGNING_CAPABILITIES,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP,
} from "../../../protocol/smb2/constants.js";
import {
  SMB2_ENCRYPTION_AES128_CCM as AES_128_CCM,
  SMB2_ENCRYPTION_AES128_GCM as AES_128_GCM,
  SMB2_ENCRYPTION_AES256_CCM as AES_256_CCM,
  SMB2_ENCRYPTION_AES256_GCM as AES_256_GCM,
  SMB2_SIGNING_AES_CMAC as AES_CMAC,
  SMB2_SIGNING_AES_GMAC as AES_GMAC,
  SMB2_SIGNING_HMAC_SHA256 as HMAC_SHA256,
} from "../../../protocol/smb2/crypto/index.js";
import { writeResponseHeader } from "../../../protocol/smb2/header.js";
import { toFiletime } from "../../../protocol/smb2/info.js";
import { negotiateResponseToken } from "../auth/ntlm-server.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import type { Negotiated, SmbConnection } from "../connection.js";
import { MAX_IO_BYTES, type SmbContext } from "../context.js";
import { smbError } from "../errors.js";

const DIALECT_OF: Readonly<Record<SmbDialectName, number>> = {
  "2.0.2": SMB2_DIALECT_202,
  "2.1": SMB2_DIALECT_210,
  "3.0": SMB2_DIALECT_300,
  "3.0.2": SMB2_DIALECT_302,
  "3.1.1": SMB2_DIALECT_311,
};
/** Dialects offered in a NEGOTIATE (the spec allows a handful; more is a malformed request). */
const MAX_DIALECTS = 64;
const MAX_CONTEXTS = 32;
/** Ciphers and signing algorithms in the order the server prefers them. */
const CIPHERS = [AES_128_GCM, AES_256_GCM, AES_128_CCM, AES_256_CCM];
const SIGNING_ALGORITHMS = [AES_GMAC, AES_CMAC, HMAC_SHA256];

interface ClientContexts {
  preauth: boolean;
  ciphers: number[] | null;
  signingAlgorithms: number[] | null;
}

/**
 * MS-SMB2 §2.2.3 NEGOTIATE request: DialectCount, SecurityMode, Capabilities, ClientGuid,
 * NegotiateContextOffset/Count (3.1.1), Dialects. §2.2.4 response: the highest dialect both sides
 * have within the configured range, the server's GUID, limits, times, the SPNEGO hint and, for
 * 3.1.1, the preauth integrity, encryption and signing contexts (§3.3.5.4).
 */
export const negotiate: SmbCommand = {
  name: "NEGOTIATE",
  structureSize: 36,
  needsSession: false,
  needsTree: false,
  run(call: SmbCall): SmbReply {
    const { body, ctx, conn } = call;
    const dialectCount = body.u16();
    const securityMode = body.u16();
    body.skip(2);
    const capabilities = body.u32();
    const clientGuid = Buffer.from(body.bytes(16));
    const contextOffset = body.u32();
    const contextCount = body.u16();
    body.skip(2);
    if (dialectCount === 0 || dialectCount > MAX_DIALECTS) throw smbError(STATUS_INVALID_PARAMETER, `${dialectCount} dialects`);
    const dialects: number[] = [];
    for (let i = 0; i < dialectCount; i++) dialects.push(body.u16());
    const dialect = chooseDialect(ctx, dialects);
    let contexts: ClientContexts = { preauth: false, ciphers: null, signingAlgorithms: null };
    if (dialect === SMB2_DIALECT_311) {
      contexts = readContexts(body, contextOffset, contextCount);
      if (!contexts.preauth) throw smbError(STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP, "no SHA-512 preauth integrity");
    }
    const negotiated = settle(ctx, dialect, { clientGuid, capabilities, securityMode, dialects }, contexts);
    conn.negotiated = negotiated;
    return { status: 0, body: encodeResponse(ctx, negotiated, dialect === SMB2_DIALECT_311 ? contexts : null) };
  },
};

function chooseDialect(ctx: SmbContext, offered: readonly number[]): number {
  const min = DIALECT_OF[ctx.config.minDialect];
  const max = DIALECT_OF[ctx.config.maxDialect];
  const common = offered.filter((d) => d >= min && d <= max && Object.values(DIALECT_OF).includes(d));
  if (common.length === 0) throw smbError(STATUS_NOT_SUPPORTED, `no common dialect in ${offered.map((d) => d.toString(16)).join(", ")}`);
  return Math.max(...common);
}

function settle(
  ctx: SmbContext,
  dialect: number,
  client: { clientGuid: Buffer; capabilities: number; securityMode: number; dialects: number[] },
  contexts: ClientContexts,
): Negotiated {
  let capabilities = dialect >= SMB2_DIALECT_210 ? SMB2_GLOBAL_CAP_LARGE_MTU | SMB2_GLOBAL_CAP_LEASING : 0;
  // 3.0 and 3.0.2 announce encryption with a capability (AES-128-CCM); 3.1.1 with a context.
  if ((dialect === SMB2_DIALECT_300 || dialect === SMB2_DIALECT_302) && client.capabilities & SMB2_GLOBAL_CAP_ENCRYPTION) {
    capabilities |= SMB2_GLOBAL_CAP_ENCRYPTION;
  }
  let cipherId = 0;
  if (dialect === SMB2_DIALECT_311) cipherId = CIPHERS.find((c) => contexts.ciphers?.includes(c)) ?? 0;
  else if (capabilities & SMB2_GLOBAL_CAP_ENCRYPTION) cipherId = AES_128_CCM;
  let signingAlgorithmId = dialect >= SMB2_DIALECT_300 ? AES_CMAC : HMAC_SHA256;
  if (dialect === SMB2_DIALECT_311 && contexts.signingAlgorithms) {
    signingAlgorithmId = SIGNING_ALGORITHMS.find((a) => contexts.signingAlgorithms!.includes(a)) ?? AES_CMAC;
  }
  return {
    dialect,
    clientGuid: client.clientGuid,
    clientCapabilities: client.capabilities,
    clientSecurityMode: client.securityMode,
    serverSecurityMode: SMB2_NEGOTIATE_SIGNING_ENABLED | (ctx.config.signing === "required" ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0),
    capabilities,
    clientDialects: client.dialects,
    cipherId,
    signingAlgorithmId,
  };
}

/** The client's negotiate contexts (§2.2.3.1); unknown types are skipped, malformed ones refused. */
function readContexts(body: SmbReader, offset: number, count: number): ClientContexts {
  if (count === 0 || count > MAX_CONTEXTS) throw smbError(STATUS_INVALID_PARAMETER, `${count} negotiate contexts`);
  const found: ClientContexts = { preauth: false, ciphers: null, signingAlgorithms: null };
  let at = offset;
  for (let i = 0; i < count; i++) {
    body.seek(at);
    const type = body.u16();
    const length = body.u16();
    body.skip(4);
    const data = new SmbReader(body.bytes(length));
    if (type === SMB2_PREAUTH_INTEGRITY_CAPABILITIES) {
      const algorithms = data.u16();
      data.u16(); // SaltLength
      for (let a = 0; a < algorithms; a++) if (data.u16() === SHA_512) found.preauth = true;
    } else if (type === SMB2_ENCRYPTION_CAPABILITIES) {
      found.ciphers = readIds(data);
    } else if (type === SMB2_SIGNING_CAPABILITIES) {
      found.signingAlgorithms = readIds(data);
    }
    at += 8 + length;
    at += (8 - (at % 8)) % 8;
  }
  return found;
}

function readIds(data: SmbReader): number[] {
  const count = data.u16();
  if (count === 0) throw smbError(STATUS_INVALID_PARAMETER, "empty list in a negotiate context");
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push(data.u16());
  return ids;
}

function encodeResponse(ctx: SmbContext, negotiated: Negotiated, contexts: ClientContexts | null): Buffer {
  const token = negotiateResponseToken();
  const w = new SmbWriter(256);
  const now = toFiletime(Math.floor(Date.now() / 1000), (Date.now() % 1000) * 1_000_000);
  w.u16(65).u16(negotiated.serverSecurityMode).u16(negotiated.dialect);
  const contextCountAt = w.offset;
  w.u16(0);
  w.bytes(ctx.serverGuid).u32(negotiated.capabilities);
  w.u32(MAX_IO_BYTES).u32(MAX_IO_BYTES).u32(MAX_IO_BYTES);
  w.u64(now).u64(ctx.startTime);
  w.u16(SMB2_HEADER_SIZE + 64).u16(token.length);
  const contextOffsetAt = w.offset;
  w.u32(0);
  w.bytes(token);
  if (contexts) {
    const list: Array<[number, Buffer]> = [
      [SMB2_PREAUTH_INTEGRITY_CAPABILITIES, new SmbWriter(40).u16(1).u16(32).u16(SHA_512).bytes(randomBytes(32)).buffer()],
    ];
    if (contexts.ciphers) list.push([SMB2_ENCRYPTION_CAPABILITIES, new SmbWriter(4).u16(1).u16(negotiated.cipherId).buffer()]);
    if (contexts.signingAlgorithms) list.push([SMB2_SIGNING_CAPABILITIES, new SmbWriter(4).u16(1).u16(negotiated.signingAlgorithmId).buffer()]);
    // Offsets count from the header; the body starts 64 bytes in, which keeps 8-byte alignment.
    w.align(8);
    w.setU32(contextOffsetAt, SMB2_HEADER_SIZE + w.offset);
    w.setU16(contextCountAt, list.length);
    list.forEach(([type, data], i) => {
      w.u16(type).u16(data.length).u32(0).bytes(data);
      if (i < list.length - 1) w.align(8);
    });
  }
  return w.buffer();
}

/**
 * An SMB1 NEGOTIATE (MS-SMB2 §3.3.5.3.1) whose dialect strings include "SMB 2.???" (answered with
 * the wildcard dialect 0x02FF, after which the client negotiates again in SMB2) or "SMB 2.002".
 * Returns the SMB2 response, or null when SMB2 is not offered.
 */
export function negotiateFromSmb1(ctx: SmbContext, conn: SmbConnection, message: Buffer): Buffer | null {
  if (message.length < 35 || message[4] !== 0x72) return null;
  const byteCount = message.readUInt16LE(33);
  const names = message
    .subarray(35, Math.min(message.length, 35 + byteCount))
    .toString("latin1")
    .split("\x02")
    .map((name) => name.replace(/\0+$/, ""));
  let dialect: number;
  if (names.includes("SMB 2.???") && DIALECT_OF[ctx.config.maxDialect] > SMB2_DIALECT_202) dialect = SMB2_DIALECT_WILDCARD;
  else if (names.includes("SMB 2.002") && ctx.config.minDialect === "2.0.2") dialect = SMB2_DIALECT_202;
  else return null;
  const negotiated = settle(ctx, dialect === SMB2_DIALECT_WILDCARD ? SMB2_DIALECT_202 : dialect, { clientGuid: Buffer.alloc(16), capabilities: 0, securityMode: 0, dialects: [dialect] }, {
    preauth: false,
    ciphers: null,
    signingAlgorithms: null,
  });
  const body = encodeResponse(ctx, { ...negotiated, dialect, capabilities: 0 }, null);
  // After the wildcard the client negotiates again; after 2.0.2 this was the negotiation.
  if (dialect === SMB2_DIALECT_202) conn.negotiated = negotiated;
  const credits = conn.spendSmb1Negotiate();
  const response = Buffer.alloc(SMB2_HEADER_SIZE + body.length);
  writeResponseHeader(response, { command: SMB2_NEGOTIATE, status: 0, creditCharge: 0, credits, flags: 0, messageId: 0n, treeId: 0, sessionId: 0n });
  body.copy(response, SMB2_HEADER_SIZE);
  return response;
}
