/**
 * The NTLMv2 key and response computations (MS-NLMP §3.3.2, §3.4.4.2, §3.4.5). Only HMAC-MD5 and
 * MD5 come from node:crypto (BoringSSL has both); MD4 and RC4 are ours.
 */
import { createHash, createHmac } from "node:crypto";
import { md4 } from "./md4.js";
import { Rc4 } from "./rc4.js";
import { NTLMSSP_NEGOTIATE_128, NTLMSSP_NEGOTIATE_56, NTLMSSP_NEGOTIATE_KEY_EXCH } from "./messages.js";

export function hmacMd5(key: Buffer, ...parts: Buffer[]): Buffer {
  const mac = createHmac("md5", key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function md5(...parts: Buffer[]): Buffer {
  const hash = createHash("md5");
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** NTOWFv1(password) = MD4(UNICODE(password)) (§3.3.1): the "NT hash" a user store keeps. */
export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, "utf16le"));
}

/**
 * Uppercases code unit by code unit, as Windows' RtlUpcaseUnicodeString does: a character whose
 * uppercase form is longer ("ß" → "SS") stays as it is, so lengths never change.
 */
export function upcaseUnicode(s: string): string {
  let out = "";
  for (const ch of s) {
    const up = ch.toUpperCase();
    out += up.length === ch.length ? up : ch;
  }
  return out;
}

/** NTOWFv2 = HMAC_MD5(NT hash, UNICODE(Uppercase(User) + UserDom)) (§3.3.2): ResponseKeyNT. */
export function ntowfV2(ntHashValue: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(ntHashValue, Buffer.from(upcaseUnicode(user) + domain, "utf16le"));
}

/** NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge + temp) (§3.3.2). */
export function ntProofStr(responseKeyNt: Buffer, serverChallenge: Buffer, temp: Buffer): Buffer {
  return hmacMd5(responseKeyNt, serverChallenge, temp);
}

/** SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr) (§3.3.2); for NTLMv2 it is also the KeyExchangeKey. */
export function sessionBaseKey(responseKeyNt: Buffer, proof: Buffer): Buffer {
  return hmacMd5(responseKeyNt, proof);
}

export type Direction = "client-to-server" | "server-to-client";

/** SIGNKEY (§3.4.5.2), with extended session security. */
export function signKey(exportedSessionKey: Buffer, direction: Direction): Buffer {
  return md5(exportedSessionKey, Buffer.from(`session key to ${direction} signing key magic constant\0`, "latin1"));
}

/** SEALKEY (§3.4.5.3), with extended session security: the key is cut to 56 or 40 bits unless 128 was negotiated. */
export function sealKey(exportedSessionKey: Buffer, flags: number, direction: Direction): Buffer {
  const length = flags & NTLMSSP_NEGOTIATE_128 ? 16 : flags & NTLMSSP_NEGOTIATE_56 ? 7 : 5;
  const magic = Buffer.from(`session key to ${direction} sealing key magic constant\0`, "latin1");
  return md5(exportedSessionKey.subarray(0, length), magic);
}

/**
 * The NTLMSSP_MESSAGE_SIGNATURE of a message with extended session security (§2.2.2.9.1,
 * §3.4.4.2): Version 1, the first 8 bytes of HMAC_MD5(SigningKey, SeqNum + Message) — RC4'd with
 * the sealing handle when KEY_EXCH was negotiated — and SeqNum. `sealing` carries its state over.
 */
export function messageSignature(
  signingKey: Buffer,
  sealing: Rc4,
  flags: number,
  seqNum: number,
  message: Buffer,
): Buffer {
  const seq = Buffer.allocUnsafe(4);
  seq.writeUInt32LE(seqNum >>> 0, 0);
  let checksum = hmacMd5(signingKey, seq, message).subarray(0, 8);
  if (flags & NTLMSSP_NEGOTIATE_KEY_EXCH) checksum = sealing.apply(checksum);
  const signature = Buffer.alloc(16);
  signature.writeUInt32LE(1, 0);
  checksum.copy(signature, 4);
  seq.copy(signature, 12);
  return signature;
}
