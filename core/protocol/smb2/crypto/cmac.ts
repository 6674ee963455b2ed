import { createCipheriv } from "node:crypto";
import { SmbCryptoError } from "./errors.js";

const BLOCK = 16;
/** R_b for 128-bit blocks (RFC 4493 §2.3). */
const RB = 0x87;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

/** One left shift of a 128-bit string, xored with R_b when the bit shifted out was 1 (RFC 4493 §2.3). */
function doubleBlock(block: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    out[i] = ((block[i]! << 1) | (i + 1 < BLOCK ? block[i + 1]! >>> 7 : 0)) & 0xff;
  }
  if (block[0]! & 0x80) out[BLOCK - 1]! ^= RB;
  return out;
}

/**
 * AES-128-CMAC (RFC 4493) over the concatenation of `parts`, which lets a caller MAC a message
 * with a field replaced without copying the message. Built from primitives BoringSSL has too:
 * the subkey comes from one AES-ECB block, and the CBC-MAC chain from AES-CBC with a zero IV
 * (the last ciphertext block is the chain value), so long messages run in native code.
 */
export function aesCmac(key: Buffer, parts: readonly Buffer[]): Buffer {
  if (key.length !== 16) throw new SmbCryptoError("bad-argument", `AES-128-CMAC needs a 16-byte key, got ${key.length}`);

  const ecb = createCipheriv("aes-128-ecb", key, null);
  ecb.setAutoPadding(false);
  const l = ecb.update(ZERO_BLOCK);
  const k1 = doubleBlock(l);

  let total = 0;
  for (const part of parts) total += part.length;
  const complete = total > 0 && total % BLOCK === 0;
  // The last block (possibly partial, possibly empty) is masked with K1 or K2 before its CBC step.
  const lastStart = total === 0 ? 0 : complete ? total - BLOCK : total - (total % BLOCK);

  const cbc = createCipheriv("aes-128-cbc", key, ZERO_BLOCK);
  cbc.setAutoPadding(false);
  const last = Buffer.alloc(BLOCK);
  let chain: Buffer = ZERO_BLOCK;
  let offset = 0;
  for (const part of parts) {
    const headLen = Math.max(0, Math.min(part.length, lastStart - offset));
    if (headLen > 0) {
      const out = cbc.update(headLen === part.length ? part : part.subarray(0, headLen));
      if (out.length >= BLOCK) chain = out.subarray(out.length - BLOCK);
    }
    if (headLen < part.length) part.copy(last, offset + headLen - lastStart, headLen);
    offset += part.length;
  }

  const tailLen = total - lastStart;
  let subkey = k1;
  if (!complete) {
    last[tailLen] = 0x80; // 10^i padding (RFC 4493 §2.4, step 4)
    subkey = doubleBlock(k1);
  }
  for (let i = 0; i < BLOCK; i++) last[i]! ^= subkey[i]! ^ chain[i]!;
  return ecb.update(last);
}
