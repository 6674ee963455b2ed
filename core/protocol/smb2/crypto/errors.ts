/**
 * The one error the SMB2/3 crypto module throws. A server that gets it while decrypting a
 * message from the wire disconnects the connection (MS-SMB2 §3.3.5.2.1.1); `reason` says why, for
 * the log (it never carries key material).
 */
export type SmbCryptoErrorReason =
  /** Fewer bytes than the structure needs. */
  | "truncated"
  /** A TRANSFORM_HEADER whose ProtocolId is not 0xFD 'S' 'M' 'B'. */
  | "bad-protocol-id"
  /** A TRANSFORM_HEADER whose Flags/EncryptionAlgorithm is not 0x0001. */
  | "bad-flags"
  /** OriginalMessageSize disagrees with the bytes present, or exceeds the caller's bound. */
  | "bad-size"
  /** The AEAD tag does not authenticate the message (wrong key, tampered bytes). */
  | "bad-tag"
  /** A key, nonce, hash, dialect or algorithm id the caller passed is not usable. */
  | "bad-argument";

export class SmbCryptoError extends Error {
  override name = "SmbCryptoError";

  constructor(
    readonly reason: SmbCryptoErrorReason,
    message: string,
  ) {
    super(message);
  }
}
