import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { aesCcmDecrypt, aesCcmEncrypt } from "./ccm.js";
import {
  SMB2_ENCRYPTION_AES128_CCM,
  SMB2_ENCRYPTION_AES128_GCM,
  SMB2_ENCRYPTION_AES256_CCM,
  SMB2_ENCRYPTION_AES256_GCM,
  type Smb2CipherId,
} from "./constants.js";
import { SMB2_TRANSFORM_PROTOCOL_ID } from "../constants.js";
import { SmbCryptoError } from "./errors.js";

export { SMB2_TRANSFORM_PROTOCOL_ID };
export const SMB2_TRANSFORM_HEADER_SIZE = 52;
/**
 * Flags (3.1.1: Encrypted) / EncryptionAlgorithm (3.0, 3.0.2: SMB2_ENCRYPTION_AES128_CCM): the
 * only value either dialect allows (MS-SMB2 §2.2.41).
 */
export const SMB2_TRANSFORM_HEADER_FLAG_ENCRYPTED = 0x0001;

const SIGNATURE_OFFSET = 4;
const NONCE_OFFSET = 20;
const NONCE_FIELD_SIZE = 16;
const ORIGINAL_MESSAGE_SIZE_OFFSET = 36;
const FLAGS_OFFSET = 42;
const SESSION_ID_OFFSET = 44;
const TAG_SIZE = 16;

/**
 * CCM runs on ./ccm.ts (Electron's BoringSSL has no CCM cipher); GCM on node:crypto. CCM uses the
 * first 11 bytes of the Nonce field, GCM the first 12; the rest is zero (MS-SMB2 §2.2.41).
 */
interface CipherSuite {
  name: string;
  keyLength: number;
  nonceLength: number;
  /** The node:crypto GCM cipher, or null for CCM. */
  gcm: "aes-128-gcm" | "aes-256-gcm" | null;
}

const SUITES: ReadonlyMap<number, CipherSuite> = new Map([
  [SMB2_ENCRYPTION_AES128_CCM, { name: "AES-128-CCM", keyLength: 16, nonceLength: 11, gcm: null }],
  [SMB2_ENCRYPTION_AES128_GCM, { name: "AES-128-GCM", keyLength: 16, nonceLength: 12, gcm: "aes-128-gcm" }],
  [SMB2_ENCRYPTION_AES256_CCM, { name: "AES-256-CCM", keyLength: 32, nonceLength: 11, gcm: null }],
  [SMB2_ENCRYPTION_AES256_GCM, { name: "AES-256-GCM", keyLength: 32, nonceLength: 12, gcm: "aes-256-gcm" }],
]);

function suiteFor(cipherId: Smb2CipherId, key: Buffer): CipherSuite {
  const suite = SUITES.get(cipherId);
  if (!suite) throw new SmbCryptoError("bad-argument", `unknown SMB2 cipher id ${String(cipherId)}`);
  if (key.length !== suite.keyLength) {
    throw new SmbCryptoError("bad-argument", `${suite.name} needs a ${suite.keyLength}-byte key, got ${key.length}`);
  }
  return suite;
}

/** An SMB2 TRANSFORM_HEADER (MS-SMB2 §2.2.41), as views into the frame it was read from. */
export interface TransformHeader {
  /** The AEAD tag. */
  signature: Buffer;
  /** The whole 16-byte Nonce field. */
  nonce: Buffer;
  originalMessageSize: number;
  flags: number;
  sessionId: bigint;
}

/** Whether a frame starts like a TRANSFORM_HEADER (an encrypted message) rather than an SMB2 header. */
export function isTransformMessage(frame: Buffer): boolean {
  return frame.length >= 4 && frame.readUInt32LE(0) === SMB2_TRANSFORM_PROTOCOL_ID;
}

/**
 * Reads and checks the TRANSFORM_HEADER at the start of `frame`, one transport frame holding one
 * encrypted message: the ciphertext must be exactly OriginalMessageSize bytes, and that size
 * non-zero and at most `maxMessageSize`. Use its sessionId to find the session's key, then call
 * decryptMessage. Throws SmbCryptoError; the tag is not checked here.
 */
export function decodeTransformHeader(frame: Buffer, maxMessageSize: number): TransformHeader {
  if (frame.length < SMB2_TRANSFORM_HEADER_SIZE) {
    throw new SmbCryptoError("truncated", `a TRANSFORM_HEADER has ${SMB2_TRANSFORM_HEADER_SIZE} bytes, got ${frame.length}`);
  }
  if (frame.readUInt32LE(0) !== SMB2_TRANSFORM_PROTOCOL_ID) {
    throw new SmbCryptoError("bad-protocol-id", "not a TRANSFORM_HEADER (ProtocolId is not 0xFD 'SMB')");
  }
  const flags = frame.readUInt16LE(FLAGS_OFFSET);
  if (flags !== SMB2_TRANSFORM_HEADER_FLAG_ENCRYPTED) {
    throw new SmbCryptoError("bad-flags", `TRANSFORM_HEADER Flags/EncryptionAlgorithm 0x${flags.toString(16)} is not 0x0001`);
  }
  const originalMessageSize = frame.readUInt32LE(ORIGINAL_MESSAGE_SIZE_OFFSET);
  const ciphertextLength = frame.length - SMB2_TRANSFORM_HEADER_SIZE;
  if (originalMessageSize === 0 || originalMessageSize > maxMessageSize) {
    throw new SmbCryptoError("bad-size", `OriginalMessageSize ${originalMessageSize} is outside 1..${maxMessageSize}`);
  }
  if (originalMessageSize !== ciphertextLength) {
    throw new SmbCryptoError(
      ciphertextLength < originalMessageSize ? "truncated" : "bad-size",
      `OriginalMessageSize ${originalMessageSize} but ${ciphertextLength} bytes of ciphertext`,
    );
  }
  return {
    signature: frame.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET + TAG_SIZE),
    nonce: frame.subarray(NONCE_OFFSET, NONCE_OFFSET + NONCE_FIELD_SIZE),
    originalMessageSize,
    flags,
    sessionId: frame.readBigUInt64LE(SESSION_ID_OFFSET),
  };
}

/**
 * Decrypts one encrypted frame (MS-SMB2 §3.3.5.2.1.1) with the session's DecryptionKey: AES-CCM
 * or AES-GCM whose AAD is the header from Nonce to its end (32 bytes) and whose tag is the
 * Signature. Returns the SMB2 message (a fresh buffer) and the header's SessionId. Any failure
 * (truncated, bad header, bad tag) throws SmbCryptoError: the caller disconnects.
 */
export function decryptMessage(
  cipherId: Smb2CipherId,
  key: Buffer,
  frame: Buffer,
  maxMessageSize: number,
): { sessionId: bigint; message: Buffer } {
  const suite = suiteFor(cipherId, key);
  const header = decodeTransformHeader(frame, maxMessageSize);
  const nonce = header.nonce.subarray(0, suite.nonceLength);
  const aad = frame.subarray(NONCE_OFFSET, SMB2_TRANSFORM_HEADER_SIZE);
  const ciphertext = frame.subarray(SMB2_TRANSFORM_HEADER_SIZE);
  if (!suite.gcm) {
    return { sessionId: header.sessionId, message: aesCcmDecrypt(key, nonce, aad, ciphertext, header.signature) };
  }
  const decipher = createDecipheriv(suite.gcm, key, nonce, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(header.signature);
  decipher.setAAD(aad);
  const message = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    message.fill(0);
    throw new SmbCryptoError("bad-tag", "the encrypted message does not authenticate under this key");
  }
  return { sessionId: header.sessionId, message };
}

/**
 * Encrypts an outgoing SMB2 message (or compound chain) with the session's EncryptionKey and
 * returns TRANSFORM_HEADER ‖ ciphertext, ready to frame (MS-SMB2 §3.1.4.3). The message may come
 * in pieces (header and body). Each call draws a fresh random nonce (88 bits for CCM, 96 for
 * GCM): nothing to keep per session, safe across the channels of one session that share the key,
 * and the odds of any repeat within 2^32 messages under one key stay below 2^-25 (CCM) and 2^-33
 * (GCM). A repeat would break either cipher, so a server never picks nonces itself.
 */
export function encryptMessage(
  cipherId: Smb2CipherId,
  key: Buffer,
  sessionId: bigint,
  message: Buffer | readonly Buffer[],
): Buffer {
  const suite = suiteFor(cipherId, key);
  return seal(suite, key, sessionId, message, randomBytes(suite.nonceLength));
}

/**
 * encryptMessage with a given nonce, for known-answer tests against published vectors only: a
 * server must never pick nonces itself (see encryptMessage).
 */
export function encryptMessageWithNonce(
  cipherId: Smb2CipherId,
  key: Buffer,
  sessionId: bigint,
  message: Buffer | readonly Buffer[],
  nonce: Buffer,
): Buffer {
  const suite = suiteFor(cipherId, key);
  if (nonce.length !== suite.nonceLength) {
    throw new SmbCryptoError("bad-argument", `${suite.name} needs an ${suite.nonceLength}-byte nonce, got ${nonce.length}`);
  }
  return seal(suite, key, sessionId, message, nonce);
}

function seal(suite: CipherSuite, key: Buffer, sessionId: bigint, message: Buffer | readonly Buffer[], nonce: Buffer): Buffer {
  const parts = Buffer.isBuffer(message) ? [message] : message;
  let size = 0;
  for (const part of parts) size += part.length;
  if (size === 0 || size > 0xffffffff) {
    throw new SmbCryptoError("bad-argument", `cannot encrypt a message of ${size} bytes`);
  }
  if (sessionId < 0n || sessionId > 0xffffffffffffffffn) {
    throw new SmbCryptoError("bad-argument", "SessionId is not a u64");
  }

  const out = Buffer.alloc(SMB2_TRANSFORM_HEADER_SIZE + size);
  out.writeUInt32LE(SMB2_TRANSFORM_PROTOCOL_ID, 0);
  nonce.copy(out, NONCE_OFFSET);
  out.writeUInt32LE(size, ORIGINAL_MESSAGE_SIZE_OFFSET);
  out.writeUInt16LE(SMB2_TRANSFORM_HEADER_FLAG_ENCRYPTED, FLAGS_OFFSET);
  out.writeBigUInt64LE(sessionId, SESSION_ID_OFFSET);
  const aad = out.subarray(NONCE_OFFSET, SMB2_TRANSFORM_HEADER_SIZE);

  const ciphertext = out.subarray(SMB2_TRANSFORM_HEADER_SIZE);
  if (!suite.gcm) {
    aesCcmEncrypt(key, nonce, aad, parts, ciphertext).copy(out, SIGNATURE_OFFSET);
    return out;
  }
  const gcm = createCipheriv(suite.gcm, key, nonce, { authTagLength: TAG_SIZE });
  gcm.setAAD(aad);
  let at = 0;
  for (const part of parts) at += gcm.update(part).copy(ciphertext, at);
  gcm.final().copy(ciphertext, at);
  gcm.getAuthTag().copy(out, SIGNATURE_OFFSET);
  return out;
}
