/**
 * Server-side verification of an NTLMv2 AUTHENTICATE_MESSAGE (MS-NLMP §3.2.5.1.2, §3.3.2) against
 * a local user table. Pure and synchronous: the exchange (ntlm-server.ts) feeds it the messages.
 *
 * Decisions, as Samba makes them for local users:
 * - the domain the client names need not be ours: any domain is accepted for a local user, and
 *   NTOWFv2 is tried with the domain as sent, uppercased, then empty (clients differ in which one
 *   they hash);
 * - the user name is looked up as sent (case-insensitive matching is the lookup's job) and is
 *   uppercased for NTOWFv2 as the spec says;
 * - NTLMv1 and LM-only responses are refused; the LMv2 response is ignored.
 */
import { timingSafeEqual } from "node:crypto";
import { hmacMd5, ntowfV2, ntProofStr, sessionBaseKey, upcaseUnicode } from "../../../protocol/smb2/ntlm/crypto.js";
import {
  AUTHENTICATE_MIC_LENGTH,
  AUTHENTICATE_MIC_OFFSET,
  MSV_AV_FLAGS_MIC_PRESENT,
  MsvAvFlags,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NtlmMessageError,
  decodeAuthenticate,
  decodeNtlmV2ClientChallenge,
  findAvPair,
} from "../../../protocol/smb2/ntlm/messages.js";
import { rc4k } from "../../../protocol/smb2/ntlm/rc4.js";
import { NtlmAuthError } from "./errors.js";

export interface NtlmUser {
  name: string;
  /** NTOWFv1: MD4(UTF-16LE(password)), 16 bytes (see ntHash in protocol/smb2/ntlm/crypto.ts). */
  ntHash: Buffer;
}

export type NtlmUserLookup = (name: string) => NtlmUser | undefined;

export interface AuthenticateInput {
  /** The client's NEGOTIATE_MESSAGE and our CHALLENGE_MESSAGE, byte for byte as exchanged: the MIC covers them. */
  negotiate: Buffer;
  challenge: Buffer;
  serverChallenge: Buffer;
  /** The NegotiateFlags we sent in the CHALLENGE_MESSAGE. */
  challengeFlags: number;
  authenticate: Buffer;
  lookupUser: NtlmUserLookup;
  allowGuest: boolean;
}

export interface NtlmLogon {
  user: string;
  domain: string;
  workstation: string;
  guest: boolean;
  anonymous: boolean;
  /** ExportedSessionKey (16 bytes); all zeros for guest and anonymous logons, which have no key. */
  sessionKey: Buffer;
  /** The flags both sides agreed on: ours in the CHALLENGE and the client's in the AUTHENTICATE. */
  flags: number;
}

/** Longest user, domain or workstation name accepted, in UTF-16 code units (Windows caps UPNs at 256). */
export const MAX_NAME_LENGTH = 256;
/** NTProofStr (16) + the fixed NTLMv2_CLIENT_CHALLENGE (28) + MsvAvEOL (4). */
const MIN_NTLMV2_RESPONSE = 48;
const NTLMV1_RESPONSE = 24;

/** Constant-time comparison of two secrets (a length mismatch is not secret). */
export function equalSecret(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifyAuthenticate(input: AuthenticateInput): NtlmLogon {
  let message;
  try {
    message = decodeAuthenticate(input.authenticate);
  } catch (err) {
    if (err instanceof NtlmMessageError) throw new NtlmAuthError(`malformed AUTHENTICATE_MESSAGE: ${err.message}`);
    throw err;
  }
  const { user, domain, workstation } = message;
  for (const [what, value] of [["user name", user], ["domain name", domain], ["workstation name", workstation]] as const) {
    if (value.length > MAX_NAME_LENGTH) throw new NtlmAuthError(`${what} of ${value.length} characters`);
  }
  const flags = (message.flags & input.challengeFlags) >>> 0;
  const nt = message.ntChallengeResponse;
  const lm = message.lmChallengeResponse;
  const noKey = { user, domain, workstation, sessionKey: Buffer.alloc(16), flags };

  // Anonymous (§3.2.5.1.2): no user, no NT response, an empty or one-zero-byte LM response.
  if (user === "" && nt.length === 0 && (lm.length === 0 || (lm.length === 1 && lm[0] === 0))) {
    if (!input.allowGuest) throw new NtlmAuthError("anonymous logon is not allowed");
    return { ...noKey, guest: false, anonymous: true };
  }
  if (nt.length === 0 || nt.length === NTLMV1_RESPONSE) throw new NtlmAuthError("NTLMv1 and LM responses are refused");
  if (nt.length < MIN_NTLMV2_RESPONSE) throw new NtlmAuthError(`NTLMv2 response of ${nt.length} bytes`);
  const proof = nt.subarray(0, 16);
  const temp = nt.subarray(16);
  let avPairs;
  try {
    avPairs = decodeNtlmV2ClientChallenge(temp).avPairs;
  } catch (err) {
    if (err instanceof NtlmMessageError) throw new NtlmAuthError(`malformed NTLMv2 response: ${err.message}`);
    throw err;
  }

  const account = input.lookupUser(user);
  if (!account) {
    if (!input.allowGuest || user === "") throw new NtlmAuthError(`unknown user "${user}"`);
    return { ...noKey, guest: true, anonymous: false };
  }

  let responseKeyNt: Buffer | undefined;
  for (const userDomain of new Set([domain, upcaseUnicode(domain), ""])) {
    const key = ntowfV2(account.ntHash, user, userDomain);
    if (equalSecret(ntProofStr(key, input.serverChallenge, temp), proof)) {
      responseKeyNt = key;
      break;
    }
  }
  if (!responseKeyNt) throw new NtlmAuthError(`wrong password for "${user}"`);

  // For NTLMv2 the KeyExchangeKey is the SessionBaseKey (§3.4.5.1).
  const keyExchangeKey = sessionBaseKey(responseKeyNt, proof);
  let sessionKey = keyExchangeKey;
  if (flags & NTLMSSP_NEGOTIATE_KEY_EXCH) {
    if (message.encryptedRandomSessionKey.length !== 16) {
      throw new NtlmAuthError(`EncryptedRandomSessionKey of ${message.encryptedRandomSessionKey.length} bytes`);
    }
    sessionKey = rc4k(keyExchangeKey, message.encryptedRandomSessionKey);
  }

  const avFlags = findAvPair(avPairs, MsvAvFlags);
  if (avFlags && avFlags.length >= 4 && avFlags.readUInt32LE(0) & MSV_AV_FLAGS_MIC_PRESENT) {
    if (!message.mic) throw new NtlmAuthError("MsvAvFlags announces a MIC the message has no room for");
    const zeroed = Buffer.from(input.authenticate);
    zeroed.fill(0, AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + AUTHENTICATE_MIC_LENGTH);
    const mic = hmacMd5(sessionKey, input.negotiate, input.challenge, zeroed);
    if (!equalSecret(mic, message.mic)) throw new NtlmAuthError("MIC mismatch");
  }

  return { user, domain, workstation, sessionKey, flags, guest: false, anonymous: false };
}
