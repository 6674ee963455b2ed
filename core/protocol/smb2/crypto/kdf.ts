import { createHmac } from "node:crypto";
import { SmbCryptoError } from "./errors.js";

const HMAC_SHA256_SIZE = 32;

/**
 * SP800-108 §5.1 KDF in counter mode with HMAC-SHA256 as the PRF, as MS-SMB2 §3.1.4.2 uses it
 * (r = 32): block i = HMAC(key, [i]₃₂ ‖ Label ‖ 0x00 ‖ Context ‖ [L]₃₂), integers big-endian,
 * and the key is the first L bits of the blocks. SMB passes labels that already end in a NUL
 * ("SMBSigningKey\0"); the 0x00 separator here comes on top of it, as the spec writes it.
 */
export function sp800108CounterKdf(key: Buffer, label: Buffer, context: Buffer, lengthBits: 128 | 256): Buffer {
  if (key.length === 0) throw new SmbCryptoError("bad-argument", "SP800-108 KDF needs a non-empty key");
  const length = lengthBits / 8;
  const blocks = Math.ceil(length / HMAC_SHA256_SIZE);
  const out = Buffer.alloc(blocks * HMAC_SHA256_SIZE);
  const counter = Buffer.alloc(4);
  const separator = Buffer.alloc(1);
  const lengthField = Buffer.alloc(4);
  lengthField.writeUInt32BE(lengthBits);
  for (let i = 1; i <= blocks; i++) {
    counter.writeUInt32BE(i);
    createHmac("sha256", key)
      .update(counter)
      .update(label)
      .update(separator)
      .update(context)
      .update(lengthField)
      .digest()
      .copy(out, (i - 1) * HMAC_SHA256_SIZE);
  }
  return out.subarray(0, length);
}
