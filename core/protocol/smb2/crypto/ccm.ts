import { createCipheriv, timingSafeEqual } from "node:crypto";
import { SmbCryptoError } from "./errors.js";

const BLOCK = 16;
const TAG_SIZE = 16;
/** SMB uses an 11-byte nonce (MS-SMB2 §2.2.41), which leaves L = 4 bytes for the length. */
const NONCE_SIZE = 11;
const LENGTH_SIZE = BLOCK - 1 - NONCE_SIZE;
const MAX_PLAINTEXT = 0xffffffff;
const MAX_SHORT_AAD = 0x10000 - 0x100;
/** B0 flags (RFC 3610 §2.2): Adata, M' = (16 - 2) / 2, L' = 4 - 1. */
const B0_FLAGS = 0x40 | (((TAG_SIZE - 2) / 2) << 3) | (LENGTH_SIZE - 1);
/** A_i flags (RFC 3610 §2.3): L' only. */
const A_FLAGS = LENGTH_SIZE - 1;
const ZERO_IV = Buffer.alloc(BLOCK);

type AesBits = "128" | "256";

function aesBits(key: Buffer): AesBits {
  if (key.length === 16) return "128";
  if (key.length === 32) return "256";
  throw new SmbCryptoError("bad-argument", `AES-CCM needs a 16- or 32-byte key, got ${key.length}`);
}

function checkNonceAndAad(nonce: Buffer, aad: Buffer): void {
  if (nonce.length !== NONCE_SIZE) throw new SmbCryptoError("bad-argument", `SMB AES-CCM needs an 11-byte nonce, got ${nonce.length}`);
  // Only the 2-byte AAD length form of RFC 3610 §2.2 is built; SMB's AAD is always 32 bytes.
  if (aad.length === 0 || aad.length >= MAX_SHORT_AAD) {
    throw new SmbCryptoError("bad-argument", `AES-CCM here takes 1..${MAX_SHORT_AAD - 1} bytes of AAD, got ${aad.length}`);
  }
}

/** Counter block A_i = flags ‖ nonce ‖ [i]₃₂ (RFC 3610 §2.3). */
function counterBlock(nonce: Buffer, i: number): Buffer {
  const a = Buffer.alloc(BLOCK);
  a[0] = A_FLAGS;
  nonce.copy(a, 1);
  a.writeUInt32BE(i, BLOCK - LENGTH_SIZE);
  return a;
}

/**
 * The CBC-MAC T of RFC 3610 §2.2 over B0, the AAD (with its 2-byte length, zero-padded; SMB's AAD
 * is 32 bytes) and the plaintext (zero-padded), computed with AES-CBC and a zero IV.
 */
function cbcMac(bits: AesBits, key: Buffer, nonce: Buffer, aad: Buffer, plaintext: readonly Buffer[], length: number): Buffer {
  const cbc = createCipheriv(`aes-${bits}-cbc`, key, ZERO_IV);
  cbc.setAutoPadding(false);
  let last: Buffer = ZERO_IV;
  const feed = (data: Buffer): void => {
    const out = cbc.update(data);
    if (out.length >= BLOCK) last = out.subarray(out.length - BLOCK);
  };
  const b0 = Buffer.alloc(BLOCK);
  b0[0] = B0_FLAGS;
  nonce.copy(b0, 1);
  b0.writeUInt32BE(length, BLOCK - LENGTH_SIZE);
  feed(b0);
  const aadLength = Buffer.alloc(2);
  aadLength.writeUInt16BE(aad.length);
  feed(aadLength);
  feed(aad);
  feed(Buffer.alloc((BLOCK - ((2 + aad.length) % BLOCK)) % BLOCK));
  for (const part of plaintext) feed(part);
  feed(Buffer.alloc((BLOCK - (length % BLOCK)) % BLOCK));
  return last;
}

/** XOR of T with S_0 = E(A_0): the tag sent on the wire (RFC 3610 §2.3). */
function maskTag(bits: AesBits, key: Buffer, nonce: Buffer, t: Buffer): Buffer {
  const ecb = createCipheriv(`aes-${bits}-ecb`, key, null);
  ecb.setAutoPadding(false);
  const s0 = ecb.update(counterBlock(nonce, 0));
  const tag = Buffer.alloc(TAG_SIZE);
  for (let i = 0; i < TAG_SIZE; i++) tag[i] = t[i]! ^ s0[i]!;
  return tag;
}

/**
 * AES-CCM (RFC 3610, NIST SP800-38C) with a 16-byte tag and an 11-byte nonce, as SMB 3.x uses it
 * (MS-SMB2 §3.1.4.3). Hand-built from AES-CBC (the CBC-MAC), AES-CTR (the keystream, counters from
 * 1) and AES-ECB (S_0), because Electron's BoringSSL has no AES-CCM cipher while it has those.
 * Encrypts `plaintext` (given in pieces) into `out`, which must be exactly its length, and
 * returns the tag.
 */
export function aesCcmEncrypt(key: Buffer, nonce: Buffer, aad: Buffer, plaintext: readonly Buffer[], out: Buffer): Buffer {
  const bits = aesBits(key);
  checkNonceAndAad(nonce, aad);
  let length = 0;
  for (const part of plaintext) length += part.length;
  if (length !== out.length || length > MAX_PLAINTEXT) {
    throw new SmbCryptoError("bad-argument", `AES-CCM output of ${out.length} bytes for ${length} bytes of plaintext`);
  }
  const ctr = createCipheriv(`aes-${bits}-ctr`, key, counterBlock(nonce, 1));
  let at = 0;
  for (const part of plaintext) at += ctr.update(part).copy(out, at);
  ctr.final().copy(out, at);
  return maskTag(bits, key, nonce, cbcMac(bits, key, nonce, aad, plaintext, length));
}

/**
 * Decrypts and authenticates AES-CCM ciphertext (see aesCcmEncrypt). Returns the plaintext only
 * when the tag matches (compared in constant time); otherwise throws SmbCryptoError "bad-tag".
 */
export function aesCcmDecrypt(key: Buffer, nonce: Buffer, aad: Buffer, ciphertext: Buffer, tag: Buffer): Buffer {
  const bits = aesBits(key);
  checkNonceAndAad(nonce, aad);
  if (ciphertext.length > MAX_PLAINTEXT || tag.length !== TAG_SIZE) {
    throw new SmbCryptoError("bad-argument", "AES-CCM ciphertext too long or tag not 16 bytes");
  }
  const ctr = createCipheriv(`aes-${bits}-ctr`, key, counterBlock(nonce, 1));
  const plaintext = Buffer.concat([ctr.update(ciphertext), ctr.final()]);
  const expected = maskTag(bits, key, nonce, cbcMac(bits, key, nonce, aad, [plaintext], plaintext.length));
  if (!timingSafeEqual(expected, tag)) {
    plaintext.fill(0);
    throw new SmbCryptoError("bad-tag", "the encrypted message does not authenticate under this key");
  }
  return plaintext;
}
