/**
 * SMB2/3 message integrity and confidentiality, as pure functions over raw message bytes:
 * session keys (MS-SMB2 §3.3.5.5.3), signing (§3.1.4.1), the 3.1.1 preauth integrity hash
 * (§3.3.5.4) and TRANSFORM_HEADER encryption (§2.2.41, §3.1.4.3). Every failure is an
 * SmbCryptoError. Only node:crypto primitives Electron's BoringSSL also has are used.
 */
export * from "./constants.js";
export { SmbCryptoError, type SmbCryptoErrorReason } from "./errors.js";
export { deriveSessionKeys, type SessionKeyInput, type SessionKeys } from "./keys.js";
export { PREAUTH_HASH_SIZE, initialPreauthHash, updatePreauthHash } from "./preauth.js";
export { computeSignature, signMessage, verifySignature } from "./signing.js";
export {
  SMB2_TRANSFORM_HEADER_FLAG_ENCRYPTED,
  SMB2_TRANSFORM_HEADER_SIZE,
  SMB2_TRANSFORM_PROTOCOL_ID,
  decodeTransformHeader,
  decryptMessage,
  encryptMessage,
  isTransformMessage,
  type TransformHeader,
} from "./transform.js";
