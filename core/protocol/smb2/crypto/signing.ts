import { createCipheriv, createHmac, timingSafeEqual } from "node:crypto";
import { aesCmac } from "./cmac.js";
import {
  SMB2_CANCEL,
  SMB2_FLAGS_SERVER_TO_REDIR,
  SMB2_FLAGS_SIGNED,
  SMB2_HEADER_COMMAND_OFFSET,
  SMB2_HEADER_FLAGS_OFFSET,
  SMB2_HEADER_MESSAGE_ID_OFFSET,
  SMB2_HEADER_SIGNATURE_OFFSET,
  SMB2_HEADER_SIZE,
  SMB2_SIGNATURE_SIZE,
  SMB2_SIGNING_AES_CMAC,
  SMB2_SIGNING_AES_GMAC,
  SMB2_SIGNING_HMAC_SHA256,
  type Smb2SigningAlgorithm,
} from "./constants.js";
import { SmbCryptoError } from "./errors.js";

const ZERO_SIGNATURE = Buffer.alloc(SMB2_SIGNATURE_SIZE);

/**
 * The signature of one SMB2 message (MS-SMB2 §3.1.4.1), computed as if its Signature field were
 * zero; `message` is left as it is. A message of a compound chain is signed over its own bytes,
 * padding up to NextCommand included: pass exactly that range (a subarray view is fine).
 * HMAC-SHA256 (2.0.2 / 2.1) takes the first 16 bytes of the digest; AES-CMAC (3.x) is RFC 4493;
 * AES-GMAC (3.1.1 when negotiated) is AES-128-GCM over no plaintext with the message as AAD and
 * the nonce MessageId ‖ u32 LE (bit 0: sent by the server, bit 1: an SMB2 CANCEL request).
 */
export function computeSignature(algorithm: Smb2SigningAlgorithm, key: Buffer, message: Buffer): Buffer {
  if (message.length < SMB2_HEADER_SIZE) {
    throw new SmbCryptoError("truncated", `an SMB2 message has at least ${SMB2_HEADER_SIZE} bytes, got ${message.length}`);
  }
  const parts = [
    message.subarray(0, SMB2_HEADER_SIGNATURE_OFFSET),
    ZERO_SIGNATURE,
    message.subarray(SMB2_HEADER_SIGNATURE_OFFSET + SMB2_SIGNATURE_SIZE),
  ];
  switch (algorithm) {
    case SMB2_SIGNING_HMAC_SHA256: {
      if (key.length === 0) throw new SmbCryptoError("bad-argument", "HMAC-SHA256 signing needs a non-empty key");
      const hmac = createHmac("sha256", key);
      for (const part of parts) hmac.update(part);
      return hmac.digest().subarray(0, SMB2_SIGNATURE_SIZE);
    }
    case SMB2_SIGNING_AES_CMAC:
      return aesCmac(key, parts);
    case SMB2_SIGNING_AES_GMAC: {
      if (key.length !== 16) throw new SmbCryptoError("bad-argument", `AES-GMAC signing needs a 16-byte key, got ${key.length}`);
      const gcm = createCipheriv("aes-128-gcm", key, gmacNonce(message));
      for (const part of parts) gcm.setAAD(part);
      gcm.final();
      return gcm.getAuthTag();
    }
    default:
      throw new SmbCryptoError("bad-argument", `unknown SMB2 signing algorithm ${String(algorithm)}`);
  }
}

/** The 12-byte AES-GMAC nonce of a message (MS-SMB2 §3.1.4.1). */
function gmacNonce(message: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  message.copy(nonce, 0, SMB2_HEADER_MESSAGE_ID_OFFSET, SMB2_HEADER_MESSAGE_ID_OFFSET + 8);
  const fromServer = (message.readUInt32LE(SMB2_HEADER_FLAGS_OFFSET) & SMB2_FLAGS_SERVER_TO_REDIR) !== 0;
  const cancelRequest = !fromServer && message.readUInt16LE(SMB2_HEADER_COMMAND_OFFSET) === SMB2_CANCEL;
  nonce.writeUInt32LE((fromServer ? 1 : 0) | (cancelRequest ? 2 : 0), 8);
  return nonce;
}

/**
 * Signs an outgoing message in place: sets SMB2_FLAGS_SIGNED (the flag is covered by the
 * signature, so it is set first), then writes the signature into the header (MS-SMB2 §3.1.4.1).
 */
export function signMessage(algorithm: Smb2SigningAlgorithm, key: Buffer, message: Buffer): void {
  if (message.length < SMB2_HEADER_SIZE) {
    throw new SmbCryptoError("truncated", `an SMB2 message has at least ${SMB2_HEADER_SIZE} bytes, got ${message.length}`);
  }
  message.writeUInt32LE((message.readUInt32LE(SMB2_HEADER_FLAGS_OFFSET) | SMB2_FLAGS_SIGNED) >>> 0, SMB2_HEADER_FLAGS_OFFSET);
  computeSignature(algorithm, key, message).copy(message, SMB2_HEADER_SIGNATURE_OFFSET);
}

/**
 * Whether the Signature field of a received message is the one `key` gives (MS-SMB2 §3.1.5.1),
 * compared in constant time. Does not modify `message`. A buffer shorter than an SMB2 header
 * cannot carry a valid signature and gives false.
 */
export function verifySignature(algorithm: Smb2SigningAlgorithm, key: Buffer, message: Buffer): boolean {
  if (message.length < SMB2_HEADER_SIZE) return false;
  const expected = computeSignature(algorithm, key, message);
  const actual = message.subarray(SMB2_HEADER_SIGNATURE_OFFSET, SMB2_HEADER_SIGNATURE_OFFSET + SMB2_SIGNATURE_SIZE);
  return timingSafeEqual(expected, actual);
}
