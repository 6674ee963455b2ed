import { describe, expect, it } from "vitest";
import {
  SMB2_ENCRYPTION_AES128_CCM,
  SMB2_ENCRYPTION_AES128_GCM,
  SMB2_ENCRYPTION_AES256_CCM,
  SMB2_ENCRYPTION_AES256_GCM,
  type Smb2CipherId,
} from "./constants.js";
import { SmbCryptoError } from "./errors.js";
import {
  SMB2_TRANSFORM_HEADER_SIZE,
  decodeTransformHeader,
  decryptMessage,
  encryptMessage,
  encryptMessageWithNonce,
  isTransformMessage,
} from "./transform.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const MAX = 8 * 1024 * 1024;

/** Runs `fn` and returns the SmbCryptoError it throws; fails the test on anything else. */
function cryptoError(fn: () => unknown): SmbCryptoError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SmbCryptoError);
    return err as SmbCryptoError;
  }
  throw new Error("expected an SmbCryptoError, nothing was thrown");
}

// Microsoft Open Specifications blog, "Encryption in SMB 3.0: A protocol perspective" (2012-10-05):
// a WRITE request a Windows 8 client encrypted with AES-128-CCM under the server's DecryptionKey
// ("ServerIn "), and the response Windows Server 2012 encrypted under its EncryptionKey ("ServerOut").
// The client put 16 random bytes in the Nonce field, of which CCM uses 11; all 16 are in the AAD.
const V30 = {
  sessionId: 0x8e40014000011n,
  serverDecryptionKey: hex("261B72350558F2E9DCF613070383EDBF"),
  serverEncryptionKey: hex("8FE2B57EC34D2DB5B1A9727F526BBDB5"),
  request: hex(`FE534D4240000100000000000900400008000000000000000400000000000000
    FFFE0000010000001100001400E4080000000000000000000000000000000000
    3100700017000000000000000000000015010000390000020100000039020000
    00000000000000007000000000000000536D623320656E6372797074696F6E20
    74657374696E67`),
  requestCiphertext: hex(`25C8FEE16605A437832D1CD52DA9F4645333482A175FE5384563F45FCDAFAEF3
    8BC62BA4D5C62897996625A44C29BE5658DE2E6117585779E7B59FFD971278D0
    8580D7FA899E410E910EABF5AA1DB43050B33B49182637759AC15D84BFCDF5B6
    B238993C0F4CF4D6012023F6C627297075D84B7803912D0A9639634453595EF3
    E33FFE4E7AC2AB`),
  requestTransformed: hex(`FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A
    744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5
    2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4
    4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5
    AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6
    C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB`),
  responseTransformed: hex(`FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014
    00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079
    E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787
    1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1
    77309E5B`),
  response: hex(`FE534D4240000100000000000900210009000000000000000400000000000000
    FFFE0000010000001100001400E4080000000000000000000000000000000000
    11000000170000000000000000000000`),
};

// Microsoft Open Specifications blog, "SMB 3.1.1 Encryption in Windows 10" (2015-09-09), AES-128-GCM.
const V311 = {
  sessionId: 0x100000000025n,
  serverDecryptionKey: hex("A2F5E80E5D59103034F32E52F698E5EC"),
  serverEncryptionKey: hex("748C50868C90F302962A5C35F5F9A8BF"),
  requestNonce: hex("C7D6822D269CAF48904C664C"),
  request: hex(`FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000
    25000000001000000000000000000000000000000000000031007000170000000000000000000000
    0600000004000000010000000400000000000000000000007000000000000000536D623320656E63
    72797074696F6E2074657374696E67`),
  requestTransformed: hex(`FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000
    0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02
    D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4
    4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9
    1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8`),
  responseTransformed: hex(`FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000
    00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8
    F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B
    82E03C9E18A050FF0EA1C967`),
  response: hex(`FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000
    25000000001000000000000000000000000000000000000011000000170000000000000000000000`),
};

// No published AES-256 vectors. Independent computation with pyca/cryptography 48.0.0 AESGCM and
// AESCCM(tag_length=16): key 0x00..0x1F, the 3.1.1 WRITE request above, SessionId 0x100000000025,
// AAD = Nonce field (nonce zero-padded to 16) ‖ OriginalMessageSize ‖ Reserved 0 ‖ Flags 1 ‖ SessionId.
const AES256_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const V256: ReadonlyArray<{ cipherId: Smb2CipherId; nonce: Buffer; transformed: Buffer }> = [
  {
    cipherId: SMB2_ENCRYPTION_AES256_GCM,
    nonce: hex("C7D6822D269CAF48904C664C"),
    transformed: hex(`FD534D423E2C6A0D6A2C92BAA6A76AA25D835E17C7D6822D269CAF48904C664C0000000087000000
      000001002500000000100000ADC8129A559A8066AFFD20E118FB4825C05ADC59DFAC2D7FDFC68CCBBDA2
      24310CB5B0A8BCE35DF2A9E0EE55DBA0DF76FF5AD18B5BFF8085D1318635170E3CF98DCCAA6DC69C3CC4
      67AA20935E88CB5B9CE8D26EE06E5D358233E9E27C9EC3BAA67C1416DA58DB59F4B91F439E5752C7E2A5
      8D69A40D07C1EB9D74920F70FBD20267565BEAF3EA`),
  },
  {
    cipherId: SMB2_ENCRYPTION_AES256_CCM,
    nonce: hex("66E69A111892584FB5ED52"),
    transformed: hex(`FD534D42B7A7CB31EB0480F3E495040E6AE6BC9566E69A111892584FB5ED520000000000870000
      0000000100250000000010000092FAA8C985760092D989B4EED9B531C94178F13407F78483F831220A2C
      8BA5E1724E9269BD807D71DE850E22D9D37B0E18BD9C14CD87D4DEB6BDD2DE180E53FF4AECB756CE6B78
      E72101B3844FEBC71E789634435AA68EEC80CF4569502AEB88053C1A2125679A202CDA1D69624D464745
      657D8C2B59081C51D2FBF71078B459E4EC1731D3EB34`),
  },
];

const CIPHERS: ReadonlyArray<[Smb2CipherId, Buffer]> = [
  [SMB2_ENCRYPTION_AES128_CCM, Buffer.alloc(16, 0xa1)],
  [SMB2_ENCRYPTION_AES128_GCM, Buffer.alloc(16, 0xa2)],
  [SMB2_ENCRYPTION_AES256_CCM, Buffer.alloc(32, 0xa3)],
  [SMB2_ENCRYPTION_AES256_GCM, Buffer.alloc(32, 0xa4)],
];

describe("SMB 3.0 AES-128-CCM (Microsoft's published example)", () => {
  it("decrypts the client's encrypted WRITE request with the server's DecryptionKey", () => {
    const { sessionId, message } = decryptMessage(SMB2_ENCRYPTION_AES128_CCM, V30.serverDecryptionKey, V30.requestTransformed, MAX);
    expect(sessionId).toBe(V30.sessionId);
    expect(message).toEqual(V30.request);
  });

  it("decrypts the server's encrypted response with the key it was sent under", () => {
    const { message } = decryptMessage(SMB2_ENCRYPTION_AES128_CCM, V30.serverEncryptionKey, V30.responseTransformed, MAX);
    expect(message).toEqual(V30.response);
  });

  it("produces the published ciphertext for the published 11-byte nonce", () => {
    // Our Nonce field is the nonce zero-padded (Windows 8 sent 5 more random bytes, which only enter
    // the tag through the AAD), so the ciphertext matches and the whole frame round-trips.
    const frame = encryptMessageWithNonce(
      SMB2_ENCRYPTION_AES128_CCM, V30.serverDecryptionKey, V30.sessionId, V30.request, hex("66E69A111892584FB5ED52"),
    );
    expect(frame.subarray(SMB2_TRANSFORM_HEADER_SIZE)).toEqual(V30.requestCiphertext);
    expect(frame.subarray(20, 36)).toEqual(hex("66E69A111892584FB5ED520000000000"));
    expect(decryptMessage(SMB2_ENCRYPTION_AES128_CCM, V30.serverDecryptionKey, frame, MAX).message).toEqual(V30.request);
  });
});

describe("SMB 3.1.1 AES-128-GCM (Microsoft's published example)", () => {
  it("encrypts the WRITE request byte for byte as Windows did", () => {
    const frame = encryptMessageWithNonce(
      SMB2_ENCRYPTION_AES128_GCM, V311.serverDecryptionKey, V311.sessionId, V311.request, V311.requestNonce,
    );
    expect(frame).toEqual(V311.requestTransformed);
  });

  it("encrypts a message given in pieces as the whole message", () => {
    const pieces = [V311.request.subarray(0, 64), V311.request.subarray(64, 100), V311.request.subarray(100)];
    const frame = encryptMessageWithNonce(SMB2_ENCRYPTION_AES128_GCM, V311.serverDecryptionKey, V311.sessionId, pieces, V311.requestNonce);
    expect(frame).toEqual(V311.requestTransformed);
  });

  it("decrypts the request and the response", () => {
    expect(decryptMessage(SMB2_ENCRYPTION_AES128_GCM, V311.serverDecryptionKey, V311.requestTransformed, MAX)).toEqual({
      sessionId: V311.sessionId,
      message: V311.request,
    });
    expect(decryptMessage(SMB2_ENCRYPTION_AES128_GCM, V311.serverEncryptionKey, V311.responseTransformed, MAX).message).toEqual(
      V311.response,
    );
  });
});

describe("AES-256-CCM and AES-256-GCM", () => {
  it.each(V256)("matches an independent implementation (cipher $cipherId)", ({ cipherId, nonce, transformed }) => {
    expect(encryptMessageWithNonce(cipherId, AES256_KEY, V311.sessionId, V311.request, nonce)).toEqual(transformed);
    expect(decryptMessage(cipherId, AES256_KEY, transformed, MAX).message).toEqual(V311.request);
  });
});

describe("encryptMessage", () => {
  it.each(CIPHERS)("round-trips through decryptMessage (cipher %i)", (cipherId, key) => {
    for (const message of [V311.request, Buffer.alloc(1, 7), Buffer.alloc(70_000, 0x5a)]) {
      const frame = encryptMessage(cipherId, key, 0xfedcba9876543210n, message);
      expect(isTransformMessage(frame)).toBe(true);
      expect(frame.length).toBe(SMB2_TRANSFORM_HEADER_SIZE + message.length);
      expect(decryptMessage(cipherId, key, frame, MAX)).toEqual({ sessionId: 0xfedcba9876543210n, message });
    }
  });

  it.each(CIPHERS)("draws a fresh nonce for every message, zero-padded in the Nonce field (cipher %i)", (cipherId, key) => {
    const nonceLength = cipherId === SMB2_ENCRYPTION_AES128_CCM || cipherId === SMB2_ENCRYPTION_AES256_CCM ? 11 : 12;
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const nonce = decodeTransformHeader(encryptMessage(cipherId, key, 1n, V311.request), MAX).nonce;
      expect(nonce.subarray(nonceLength)).toEqual(Buffer.alloc(16 - nonceLength));
      seen.add(nonce.toString("hex"));
    }
    expect(seen.size).toBe(200);
  });

  it("refuses keys of the wrong size, unknown ciphers, empty messages and nonces of the wrong size", () => {
    expect(cryptoError(() => encryptMessage(SMB2_ENCRYPTION_AES128_GCM, Buffer.alloc(32), 1n, V311.request)).reason).toBe("bad-argument");
    expect(cryptoError(() => encryptMessage(SMB2_ENCRYPTION_AES256_CCM, Buffer.alloc(16), 1n, V311.request)).reason).toBe("bad-argument");
    expect(cryptoError(() => encryptMessage(5 as Smb2CipherId, Buffer.alloc(16), 1n, V311.request)).reason).toBe("bad-argument");
    expect(cryptoError(() => encryptMessage(SMB2_ENCRYPTION_AES128_GCM, Buffer.alloc(16), 1n, [])).reason).toBe("bad-argument");
    expect(cryptoError(() => encryptMessage(SMB2_ENCRYPTION_AES128_GCM, Buffer.alloc(16), -1n, V311.request)).reason).toBe("bad-argument");
    expect(
      cryptoError(() => encryptMessageWithNonce(SMB2_ENCRYPTION_AES128_CCM, Buffer.alloc(16), 1n, V311.request, Buffer.alloc(12))).reason,
    ).toBe("bad-argument");
  });
});

describe("decryptMessage on hostile input", () => {
  const frame = V311.requestTransformed;
  const key = V311.serverDecryptionKey;
  const decrypt = (f: Buffer, max = MAX): unknown => decryptMessage(SMB2_ENCRYPTION_AES128_GCM, key, f, max);

  it("throws SmbCryptoError for every truncation of a valid frame", () => {
    for (let length = 0; length < frame.length; length++) {
      const reason = cryptoError(() => decrypt(frame.subarray(0, length))).reason;
      expect(["truncated", "bad-protocol-id"], `length ${length}`).toContain(reason);
    }
  });

  it("throws SmbCryptoError for a change to any single byte, with the reason of the field hit", () => {
    for (let i = 0; i < frame.length; i++) {
      const tampered = Buffer.from(frame);
      tampered[i]! ^= 0x01;
      const reason = cryptoError(() => decrypt(tampered)).reason;
      const expected =
        i < 4 ? "bad-protocol-id" : i >= 36 && i < 40 ? ["truncated", "bad-size"] : i === 42 || i === 43 ? "bad-flags" : "bad-tag";
      expect(Array.isArray(expected) ? expected : [expected], `byte ${i}`).toContain(reason);
    }
  });

  it("rejects an OriginalMessageSize beyond the caller's bound before decrypting", () => {
    expect(cryptoError(() => decrypt(frame, frame.length - SMB2_TRANSFORM_HEADER_SIZE - 1)).reason).toBe("bad-size");
    const huge = Buffer.from(frame);
    huge.writeUInt32LE(0xffffffff, 36);
    expect(cryptoError(() => decrypt(huge)).reason).toBe("bad-size");
    const zero = Buffer.from(frame);
    zero.writeUInt32LE(0, 36);
    expect(cryptoError(() => decrypt(zero)).reason).toBe("bad-size");
  });

  it("rejects bytes trailing the ciphertext", () => {
    expect(cryptoError(() => decrypt(Buffer.concat([frame, Buffer.alloc(1)]))).reason).toBe("bad-size");
  });

  it("rejects the wrong key and the wrong cipher", () => {
    expect(cryptoError(() => decryptMessage(SMB2_ENCRYPTION_AES128_GCM, V311.serverEncryptionKey, frame, MAX)).reason).toBe("bad-tag");
    expect(cryptoError(() => decryptMessage(SMB2_ENCRYPTION_AES128_CCM, key, frame, MAX)).reason).toBe("bad-tag");
    expect(cryptoError(() => decryptMessage(SMB2_ENCRYPTION_AES256_GCM, key, frame, MAX)).reason).toBe("bad-argument");
  });

  it("leaves the frame it decrypts as it was", () => {
    const copy = Buffer.from(frame);
    decrypt(copy);
    expect(copy).toEqual(frame);
  });
});

describe("isTransformMessage", () => {
  it("tells a TRANSFORM_HEADER from an SMB2 header and from short input", () => {
    expect(isTransformMessage(V311.requestTransformed)).toBe(true);
    expect(isTransformMessage(V311.request)).toBe(false);
    expect(isTransformMessage(Buffer.from([0xfd, 0x53, 0x4d]))).toBe(false);
  });
});
