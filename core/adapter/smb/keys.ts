import {
  decryptMessage,
  deriveSessionKeys,
  encryptMessage,
  signMessage,
  verifySignature,
  type Smb2CipherId,
  type Smb2SigningAlgorithm,
} from "../../protocol/smb2/crypto/index.js";
import type { Negotiated } from "./connection.js";
import type { SessionKeys } from "./state.js";

/** The largest message a TRANSFORM_HEADER may claim to hold (a WRITE of MAX_IO_BYTES and its headers). */
const MAX_SEALED_MESSAGE = 1024 * 1024 + 64 * 1024;

/**
 * The signing and sealing of a session whose authentication produced `sessionKey`, for the
 * dialect, cipher and signing algorithm NEGOTIATE settled (MS-SMB2 §3.3.5.5.3). `preauthHash`:
 * SMB 3.1.1's hash of the session setup up to its last request; null before 3.1.1.
 */
export function sessionKeys(negotiated: Negotiated, sessionKey: Buffer, preauthHash: Buffer | null): SessionKeys {
  const cipherId = (negotiated.cipherId || undefined) as Smb2CipherId | undefined;
  const keys = deriveSessionKeys({ dialect: negotiated.dialect, gssKey: sessionKey, cipherId, preauthHash: preauthHash ?? undefined });
  const algorithm = negotiated.signingAlgorithmId as Smb2SigningAlgorithm;
  const sealing = cipherId !== undefined && keys.encryptionKey && keys.decryptionKey;
  return {
    sign: (message) => signMessage(algorithm, keys.signingKey, message),
    verify: (message) => verifySignature(algorithm, keys.signingKey, message),
    encrypt: sealing ? (message) => encryptMessage(cipherId, keys.encryptionKey!, message.readBigUInt64LE(40), message) : null,
    decrypt: sealing ? (transform) => decryptMessage(cipherId, keys.decryptionKey!, transform, MAX_SEALED_MESSAGE).message : null,
  };
}
