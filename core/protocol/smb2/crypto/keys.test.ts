import { describe, expect, it } from "vitest";
import {
  SMB2_DIALECT_202,
  SMB2_DIALECT_210,
  SMB2_DIALECT_300,
  SMB2_DIALECT_302,
  SMB2_DIALECT_311,
  SMB2_ENCRYPTION_AES128_GCM,
  SMB2_ENCRYPTION_AES256_CCM,
  SMB2_ENCRYPTION_AES256_GCM,
  type Smb2CipherId,
} from "./constants.js";
import { SmbCryptoError } from "./errors.js";
import { deriveSessionKeys } from "./keys.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// Microsoft's published keys are from the client's side: the client's EncryptionKey
// ("ServerIn " / "SMBC2SCipherKey") is the server's DecryptionKey and the other way round.

describe("deriveSessionKeys", () => {
  // Microsoft Open Specifications blog, "Encryption in SMB 3.0: A protocol perspective" (2012-10-05).
  it.each([SMB2_DIALECT_300, SMB2_DIALECT_302])("derives Microsoft's published SMB 3.0 keys (dialect %i)", (dialect) => {
    const keys = deriveSessionKeys({ dialect, gssKey: hex("B4546771B515F766A86735532DD6C4F0") });
    expect(keys).toEqual({
      signingKey: hex("F773CD23C18FD1E08EE510CADA7CF852"),
      encryptionKey: hex("8FE2B57EC34D2DB5B1A9727F526BBDB5"),
      decryptionKey: hex("261B72350558F2E9DCF613070383EDBF"),
      applicationKey: hex("77432F808CE99156B5BC6A3676D730D1"),
    });
  });

  // Microsoft Open Specifications blog, "SMB 3.1.1 Encryption in Windows 10" (2015-09-09), CipherId 0x0002.
  it("derives Microsoft's published SMB 3.1.1 keys from the preauth hash", () => {
    const keys = deriveSessionKeys({
      dialect: SMB2_DIALECT_311,
      gssKey: hex("419FDDF34C1E001909D362AE7FB6AF79"),
      cipherId: SMB2_ENCRYPTION_AES128_GCM,
      preauthHash: hex(`B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDBA7DB256BA2EA30E9
                        77F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770`),
    });
    expect(keys).toEqual({
      signingKey: hex("8765949DFEAEE105CE9118B45BE988F0"),
      encryptionKey: hex("748C50868C90F302962A5C35F5F9A8BF"),
      decryptionKey: hex("A2F5E80E5D59103034F32E52F698E5EC"),
      applicationKey: hex("099D610789FBE82055B313601C3E8CC4"),
    });
  });

  // No published vector for AES-256. Independent computation with pyca/cryptography 48.0.0 KBKDFHMAC
  // (as in kdf.test.ts): cipher keys from the whole 32-byte GSS key with L = 256 (MS-SMB2 §3.2.5.3.1
  // Session.FullSessionKey), signing and application keys from its first 16 bytes with L = 128.
  it.each([SMB2_ENCRYPTION_AES256_CCM, SMB2_ENCRYPTION_AES256_GCM] as Smb2CipherId[])(
    "derives 256-bit cipher keys from the full session key for cipher %i",
    (cipherId) => {
      const keys = deriveSessionKeys({
        dialect: SMB2_DIALECT_311,
        gssKey: hex("202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F"),
        cipherId,
        preauthHash: hex(`B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDBA7DB256BA2EA30E9
                          77F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770`),
      });
      expect(keys).toEqual({
        signingKey: hex("A91BB5D9670E1F3818E25366C6DC3415"),
        encryptionKey: hex("7330E611D89F8BD4D0EAF215A49FB02F13EECCC9237436EAAD62DFD1025C951C"),
        decryptionKey: hex("3334A9F25E7DBDB8A342C07EBFBB2D26CC2FD6C04058EC2083CBA7D217A76848"),
        applicationKey: hex("8168F74D42C0727EDA97DC6FA103C023"),
      });
    },
  );

  it.each([SMB2_DIALECT_202, SMB2_DIALECT_210])("signs 2.x with the session key itself (dialect %i)", (dialect) => {
    const gssKey = hex("00112233445566778899AABBCCDDEEFF0123");
    expect(deriveSessionKeys({ dialect, gssKey })).toEqual({
      signingKey: gssKey.subarray(0, 16),
      encryptionKey: null,
      decryptionKey: null,
      applicationKey: null,
    });
    // A key shorter than 16 bytes is right-padded with zeros (MS-SMB2 §3.3.1.8 Session.SessionKey).
    expect(deriveSessionKeys({ dialect, gssKey: hex("0102") }).signingKey).toEqual(hex("01020000000000000000000000000000"));
  });

  it("does not share the session key's memory with the caller", () => {
    const gssKey = hex("00112233445566778899AABBCCDDEEFF");
    const keys = deriveSessionKeys({ dialect: SMB2_DIALECT_210, gssKey });
    gssKey.fill(0);
    expect(keys.signingKey).toEqual(hex("00112233445566778899AABBCCDDEEFF"));
  });

  it("refuses what it cannot derive keys for", () => {
    const gssKey = Buffer.alloc(16, 7);
    const bad = (input: Parameters<typeof deriveSessionKeys>[0]): void => {
      expect(() => deriveSessionKeys(input)).toThrow(SmbCryptoError);
    };
    bad({ dialect: SMB2_DIALECT_311, gssKey });
    bad({ dialect: SMB2_DIALECT_311, gssKey, preauthHash: Buffer.alloc(32) });
    bad({ dialect: SMB2_DIALECT_300, gssKey, cipherId: SMB2_ENCRYPTION_AES256_GCM });
    bad({ dialect: 0x02ff, gssKey });
    bad({ dialect: SMB2_DIALECT_311, gssKey, cipherId: 9 as Smb2CipherId, preauthHash: Buffer.alloc(64) });
    bad({ dialect: SMB2_DIALECT_300, gssKey: Buffer.alloc(0) });
  });
});
