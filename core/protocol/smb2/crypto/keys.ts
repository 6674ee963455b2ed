import {
  SMB2_DIALECT_202,
  SMB2_DIALECT_210,
  SMB2_DIALECT_300,
  SMB2_DIALECT_302,
  SMB2_DIALECT_311,
  SMB2_ENCRYPTION_AES128_CCM,
  SMB2_ENCRYPTION_AES128_GCM,
  SMB2_ENCRYPTION_AES256_CCM,
  SMB2_ENCRYPTION_AES256_GCM,
  type Smb2CipherId,
} from "./constants.js";
import { SmbCryptoError } from "./errors.js";
import { sp800108CounterKdf } from "./kdf.js";
import { PREAUTH_HASH_SIZE } from "./preauth.js";

/** The keys of an authenticated SMB2 session, from the server's side (MS-SMB2 §3.3.1.8). */
export interface SessionKeys {
  /** Signs and verifies messages (Session.SigningKey; for 2.x, Session.SessionKey). */
  signingKey: Buffer;
  /** Encrypts server → client messages (Session.EncryptionKey); null before 3.0. */
  encryptionKey: Buffer | null;
  /** Decrypts client → server messages (Session.DecryptionKey); null before 3.0. */
  decryptionKey: Buffer | null;
  /** Handed to applications such as RPC over named pipes (Session.ApplicationKey); null before 3.0. */
  applicationKey: Buffer | null;
}

export interface SessionKeyInput {
  /** Connection.Dialect as its DialectRevision value (SMB2_DIALECT_202 … SMB2_DIALECT_311). */
  dialect: number;
  /**
   * The cryptographic key of the GSS context (for NTLM, the 16-byte ExportedSessionKey).
   * Session.SessionKey is its first 16 bytes, zero-padded when shorter (MS-SMB2 §3.3.1.8);
   * AES-256 cipher keys use it whole (Session.FullSessionKey).
   */
  gssKey: Buffer;
  /** Connection.CipherId; AES-128-CCM when omitted (the only cipher of 3.0 and 3.0.2). */
  cipherId?: Smb2CipherId;
  /** 3.1.1 only: Session.PreauthIntegrityHashValue at the end of the session setup. */
  preauthHash?: Buffer;
}

const CIPHER_IDS: ReadonlySet<number> = new Set([
  SMB2_ENCRYPTION_AES128_CCM,
  SMB2_ENCRYPTION_AES128_GCM,
  SMB2_ENCRYPTION_AES256_CCM,
  SMB2_ENCRYPTION_AES256_GCM,
]);

const label = (text: string): Buffer => Buffer.from(`${text}\0`, "ascii");

const LABELS_30 = {
  signing: [label("SMB2AESCMAC"), label("SmbSign")],
  application: [label("SMB2APP"), label("SmbRpc")],
  encryption: [label("SMB2AESCCM"), label("ServerOut")],
  decryption: [label("SMB2AESCCM"), label("ServerIn ")],
} as const;

const LABELS_311 = {
  signing: label("SMBSigningKey"),
  application: label("SMBAppKey"),
  encryption: label("SMBS2CCipherKey"),
  decryption: label("SMBC2SCipherKey"),
} as const;

/**
 * Derives a session's keys (MS-SMB2 §3.3.5.5.3, §3.1.4.2). 2.0.2 and 2.1 sign with the session
 * key itself and have no other keys. 3.0 and 3.0.2 derive 128-bit keys with fixed labels and
 * contexts; 3.1.1 uses the preauth integrity hash as the context, and 256-bit cipher keys from
 * the full GSS key when the cipher is AES-256. Signing and application keys are always 128-bit
 * keys from Session.SessionKey. For a channel bound to the session (multichannel), call it again
 * with that channel's preauth hash and use its signingKey (Channel.SigningKey).
 */
export function deriveSessionKeys(input: SessionKeyInput): SessionKeys {
  const { dialect, gssKey } = input;
  const cipherId = input.cipherId ?? SMB2_ENCRYPTION_AES128_CCM;
  if (!CIPHER_IDS.has(cipherId)) throw new SmbCryptoError("bad-argument", `unknown cipher id ${String(cipherId)}`);
  if (gssKey.length === 0) throw new SmbCryptoError("bad-argument", "the GSS session key is empty");
  const sessionKey = Buffer.alloc(16);
  gssKey.copy(sessionKey, 0, 0, 16);

  switch (dialect) {
    case SMB2_DIALECT_202:
    case SMB2_DIALECT_210:
      return { signingKey: sessionKey, encryptionKey: null, decryptionKey: null, applicationKey: null };

    case SMB2_DIALECT_300:
    case SMB2_DIALECT_302: {
      if (cipherId !== SMB2_ENCRYPTION_AES128_CCM) {
        throw new SmbCryptoError("bad-argument", "SMB 3.0 and 3.0.2 encrypt with AES-128-CCM only");
      }
      const derive = ([l, context]: readonly [Buffer, Buffer]): Buffer => sp800108CounterKdf(sessionKey, l, context, 128);
      return {
        signingKey: derive(LABELS_30.signing),
        encryptionKey: derive(LABELS_30.encryption),
        decryptionKey: derive(LABELS_30.decryption),
        applicationKey: derive(LABELS_30.application),
      };
    }

    case SMB2_DIALECT_311: {
      const context = input.preauthHash;
      if (context?.length !== PREAUTH_HASH_SIZE) {
        throw new SmbCryptoError("bad-argument", "SMB 3.1.1 keys need the 64-byte preauth integrity hash");
      }
      const aes256 = cipherId === SMB2_ENCRYPTION_AES256_CCM || cipherId === SMB2_ENCRYPTION_AES256_GCM;
      const cipherKey = (l: Buffer): Buffer =>
        aes256 ? sp800108CounterKdf(gssKey, l, context, 256) : sp800108CounterKdf(sessionKey, l, context, 128);
      return {
        signingKey: sp800108CounterKdf(sessionKey, LABELS_311.signing, context, 128),
        encryptionKey: cipherKey(LABELS_311.encryption),
        decryptionKey: cipherKey(LABELS_311.decryption),
        applicationKey: sp800108CounterKdf(sessionKey, LABELS_311.application, context, 128),
      };
    }

    default:
      throw new SmbCryptoError("bad-argument", `no SMB2 key schedule for dialect 0x${dialect.toString(16)}`);
  }
}
