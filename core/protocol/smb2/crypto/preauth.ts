import { createHash } from "node:crypto";
import { SmbCryptoError } from "./errors.js";

/** Size of a SHA-512 preauth integrity hash value (MS-SMB2 §3.3.1.7). */
export const PREAUTH_HASH_SIZE = 64;

/** The value a connection's preauth integrity hash starts from: 64 zero bytes (MS-SMB2 §3.3.5.4). */
export function initialPreauthHash(): Buffer {
  return Buffer.alloc(PREAUTH_HASH_SIZE);
}

/**
 * One step of the SMB 3.1.1 preauth integrity chain: SHA-512(previous ‖ message), where the
 * message is a whole SMB2 NEGOTIATE or SESSION_SETUP request or response, header included and
 * transport framing excluded (MS-SMB2 §3.3.5.4, §3.3.5.5). The message may be given in pieces
 * (header and body, as they go to the socket); they are hashed in order, without a copy.
 */
export function updatePreauthHash(previous: Buffer, ...message: readonly Buffer[]): Buffer {
  if (previous.length !== PREAUTH_HASH_SIZE) {
    throw new SmbCryptoError("bad-argument", `a preauth integrity hash has ${PREAUTH_HASH_SIZE} bytes, got ${previous.length}`);
  }
  const hash = createHash("sha512").update(previous);
  for (const part of message) hash.update(part);
  return hash.digest();
}
