/**
 * Published NTLM test messages, shared by the codec and server tests. Each names its source.
 */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** MS-NLMP §4.2.4.3: the CHALLENGE_MESSAGE of the NTLMv2 example (server challenge 0123456789abcdef). */
export const SPEC_CHALLENGE = hex(`
  4e 54 4c 4d 53 53 50 00 02 00 00 00 0c 00 0c 00 38 00 00 00 33 82 8a e2 01 23 45 67 89 ab cd ef
  00 00 00 00 00 00 00 00 24 00 24 00 44 00 00 00 06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00
  65 00 72 00 02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00
  65 00 72 00 00 00 00 00`);

/**
 * MS-NLMP §4.2.4.3: the AUTHENTICATE_MESSAGE of the NTLMv2 example: user "User", domain "Domain",
 * password "Password", client challenge aa..aa, timestamp 0, KEY_EXCH with RandomSessionKey 55..55
 * (EncryptedRandomSessionKey c5dad254...). It predates the MIC and has none.
 */
export const SPEC_AUTHENTICATE = hex(`
  4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00 6c 00 00 00 54 00 54 00 84 00 00 00 0c 00 0c 00
  48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00 5c 00 00 00 10 00 10 00 d8 00 00 00 35 82 88 e2
  05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00 69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00
  4d 00 50 00 55 00 54 00 45 00 52 00 86 c3 50 97 ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa
  aa aa aa aa 68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c 01 01 00 00 00 00 00 00 00 00 00 00
  00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00 02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00
  01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00 00 00 00 00 00 00 00 00 c5 da d2 54 4f c9 79 90
  94 ce 1c e9 0b c9 d0 3e`);

/**
 * Chromium's net/ntlm/ntlm_test_data.h (kExpectedNegotiateMsg, kExpectedAuthenticateMsgSpecResponseV2):
 * a NEGOTIATE and the AUTHENTICATE answering SPEC_CHALLENGE with the same user and password, but with
 * a client timestamp (131400439870000000), MsvAvFlags = MIC present, channel bindings and a target name,
 * and no KEY_EXCH. Its MIC f7361633... is HMAC_MD5(SessionBaseKey 623dbd07..., NEGOTIATE + SPEC_CHALLENGE
 * + AUTHENTICATE with the MIC zeroed).
 */
export const CHROMIUM_NEGOTIATE = hex(`
  4e 54 4c 4d 53 53 50 00 01 00 00 00 07 82 08 00 00 00 00 00 20 00 00 00 00 00 00 00 20 00 00 00`);
export const CHROMIUM_AUTHENTICATE_WITH_MIC = hex(`
  4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00 58 00 00 00 8a 00 8a 00 70 00 00 00 0c 00 0c 00
  fa 00 00 00 08 00 08 00 06 01 00 00 10 00 10 00 0e 01 00 00 00 00 00 00 58 00 00 00 03 82 08 00
  00 00 00 00 00 00 00 00 f7 36 16 33 f0 ad 9b df 4a 7c 42 1b c6 b8 24 a3 00 00 00 00 00 00 00 00
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 8c 02 60 db ef 69 06 62 af 9c 42 d5 07 82 d2 ed
  01 01 00 00 00 00 00 00 80 0b c8 fd 00 d4 d2 01 aa aa aa aa aa aa aa aa 00 00 00 00 02 00 0c 00
  44 00 6f 00 6d 00 61 00 69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00 06 00 04 00
  02 00 00 00 0a 00 10 00 65 86 e9 9d 81 c2 fc 98 4e 47 17 2f d4 dd 03 10 09 00 16 00 48 00 54 00
  54 00 50 00 2f 00 53 00 65 00 72 00 76 00 65 00 72 00 00 00 00 00 00 00 00 00 44 00 6f 00 6d 00
  61 00 69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00 4d 00 50 00 55 00 54 00 45 00 52 00`);
export const CHROMIUM_SESSION_BASE_KEY = hex("623dbd071be7a530b6a95c2eb4982470");
