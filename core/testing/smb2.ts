/**
 * The SMB2 and NTLM codecs and crypto a test-only SMB2 client needs (e2e/helpers/smbraw.ts): the
 * e2e tests reach the core only through core/index.ts and core/testing/.
 */
export {
  SMB2_ENCRYPTION_AES128_CCM,
  SMB2_SIGNING_AES_CMAC,
  decryptMessage,
  deriveSessionKeys,
  encryptMessage,
  signMessage,
} from "../protocol/smb2/crypto/index.js";
export { hmacMd5, ntHash, ntowfV2, ntProofStr, sessionBaseKey } from "../protocol/smb2/ntlm/crypto.js";
export {
  AUTHENTICATE_MIC_OFFSET,
  MsvAvFlags,
  MsvAvTimestamp,
  decodeChallenge,
  encodeAuthenticate,
  encodeNegotiate,
  encodeNtlmV2ClientChallenge,
  findAvPair,
} from "../protocol/smb2/ntlm/messages.js";
export { rc4k } from "../protocol/smb2/ntlm/rc4.js";
export { OID_NTLMSSP, decodeNegTokenResp, encodeNegTokenInit, encodeNegTokenResp } from "../protocol/smb2/ntlm/spnego.js";
