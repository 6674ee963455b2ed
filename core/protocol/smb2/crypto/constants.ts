/**
 * Identifiers the SMB2/3 crypto module speaks in, with their MS-SMB2 names and wire values.
 * The header offsets are those of the SMB2 Packet Header (MS-SMB2 §2.2.1.2), so this module works
 * on raw message bytes without the header codec.
 */

/** Dialect revisions (MS-SMB2 §2.2.3), header size, flags and CANCEL's code, as the protocol's constants name them. */
export {
  SMB2_CANCEL,
  SMB2_DIALECT_202,
  SMB2_DIALECT_210,
  SMB2_DIALECT_300,
  SMB2_DIALECT_302,
  SMB2_DIALECT_311,
  SMB2_FLAGS_SERVER_TO_REDIR,
  SMB2_FLAGS_SIGNED,
  SMB2_HEADER_SIZE,
} from "../constants.js";

/** Cipher ids of SMB2_ENCRYPTION_CAPABILITIES (MS-SMB2 §2.2.3.1.2). */
export const SMB2_ENCRYPTION_AES128_CCM = 0x0001;
export const SMB2_ENCRYPTION_AES128_GCM = 0x0002;
export const SMB2_ENCRYPTION_AES256_CCM = 0x0003;
export const SMB2_ENCRYPTION_AES256_GCM = 0x0004;
export type Smb2CipherId =
  | typeof SMB2_ENCRYPTION_AES128_CCM
  | typeof SMB2_ENCRYPTION_AES128_GCM
  | typeof SMB2_ENCRYPTION_AES256_CCM
  | typeof SMB2_ENCRYPTION_AES256_GCM;

/** Signing algorithm ids of SMB2_SIGNING_CAPABILITIES (MS-SMB2 §2.2.3.1.7). */
export const SMB2_SIGNING_HMAC_SHA256 = 0x0000;
export const SMB2_SIGNING_AES_CMAC = 0x0001;
export const SMB2_SIGNING_AES_GMAC = 0x0002;
export type Smb2SigningAlgorithm =
  | typeof SMB2_SIGNING_HMAC_SHA256
  | typeof SMB2_SIGNING_AES_CMAC
  | typeof SMB2_SIGNING_AES_GMAC;

/** Hash id of SMB2_PREAUTH_INTEGRITY_CAPABILITIES (MS-SMB2 §2.2.3.1.1). */
export const SMB2_PREAUTH_INTEGRITY_SHA512 = 0x0001;

/** SMB2 Packet Header fields this module reads or writes (MS-SMB2 §2.2.1.2). */
export const SMB2_HEADER_COMMAND_OFFSET = 12;
export const SMB2_HEADER_FLAGS_OFFSET = 16;
export const SMB2_HEADER_MESSAGE_ID_OFFSET = 24;
export const SMB2_HEADER_SIGNATURE_OFFSET = 48;
export const SMB2_SIGNATURE_SIZE = 16;

