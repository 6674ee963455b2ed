import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { aesCcmDecrypt, aesCcmEncrypt } from "./ccm.js";
import { SmbCryptoError } from "./errors.js";

/**
 * The reference: Node's OpenSSL AES-CCM (an independent implementation, present in Node though not
 * in Electron's BoringSSL), with SMB's parameters: 16-byte tag, 11-byte nonce.
 */
function opensslCcm(key: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): { ciphertext: Buffer; tag: Buffer } {
  const name = key.length === 16 ? "aes-128-ccm" : "aes-256-ccm";
  const cipher = createCipheriv(name as "aes-128-ccm", key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

const bytes = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));

describe("AES-CCM from CBC, CTR and ECB", () => {
  it.each([16, 32])("matches OpenSSL's AES-CCM for every length around the block edges (%i-byte key)", (keyLength) => {
    const key = bytes(keyLength, 3);
    const nonce = bytes(11, 5);
    for (const aadLength of [1, 14, 15, 16, 17, 32, 40]) {
      const aad = bytes(aadLength, 7);
      for (let length = 0; length <= 70; length++) {
        const plaintext = bytes(length, 11);
        const reference = opensslCcm(key, nonce, aad, plaintext);
        const out = Buffer.alloc(length);
        const tag = aesCcmEncrypt(key, nonce, aad, [plaintext], out);
        expect({ ciphertext: out, tag }, `aad ${aadLength}, length ${length}`).toEqual(reference);
        expect(aesCcmDecrypt(key, nonce, aad, reference.ciphertext, reference.tag)).toEqual(plaintext);
      }
    }
  });

  it("matches OpenSSL for a 1 MiB message given in uneven pieces", () => {
    const key = bytes(16, 1);
    const nonce = bytes(11, 2);
    const aad = bytes(32, 3);
    const plaintext = randomBytes(1 << 20);
    const reference = opensslCcm(key, nonce, aad, plaintext);
    const out = Buffer.alloc(plaintext.length);
    const pieces = [plaintext.subarray(0, 64), plaintext.subarray(64, 1000), plaintext.subarray(1000)];
    expect(aesCcmEncrypt(key, nonce, aad, pieces, out)).toEqual(reference.tag);
    expect(out.equals(reference.ciphertext)).toBe(true);
    expect(aesCcmDecrypt(key, nonce, aad, reference.ciphertext, reference.tag).equals(plaintext)).toBe(true);
  });

  it("refuses a tag, nonce, AAD, ciphertext or key that does not authenticate", () => {
    const key = bytes(16, 1);
    const nonce = bytes(11, 2);
    const aad = bytes(32, 3);
    const { ciphertext, tag } = opensslCcm(key, nonce, aad, bytes(50, 4));
    const flip = (b: Buffer, i: number): Buffer => {
      const c = Buffer.from(b);
      c[i]! ^= 0x80;
      return c;
    };
    const attempts: Array<() => unknown> = [
      () => aesCcmDecrypt(key, nonce, aad, ciphertext, flip(tag, 15)),
      () => aesCcmDecrypt(key, flip(nonce, 0), aad, ciphertext, tag),
      () => aesCcmDecrypt(key, nonce, flip(aad, 31), ciphertext, tag),
      () => aesCcmDecrypt(key, nonce, aad, flip(ciphertext, 49), tag),
      () => aesCcmDecrypt(key, nonce, aad, ciphertext.subarray(0, 49), tag),
      () => aesCcmDecrypt(bytes(16, 9), nonce, aad, ciphertext, tag),
    ];
    for (const attempt of attempts) {
      expect(attempt).toThrow(SmbCryptoError);
      expect(attempt).toThrow(/does not authenticate/);
    }
  });

  it("refuses parameters outside SMB's use", () => {
    const out = Buffer.alloc(4);
    const plaintext = [Buffer.alloc(4)];
    expect(() => aesCcmEncrypt(Buffer.alloc(24), Buffer.alloc(11), Buffer.alloc(32), plaintext, out)).toThrow(SmbCryptoError);
    expect(() => aesCcmEncrypt(Buffer.alloc(16), Buffer.alloc(12), Buffer.alloc(32), plaintext, out)).toThrow(SmbCryptoError);
    expect(() => aesCcmEncrypt(Buffer.alloc(16), Buffer.alloc(11), Buffer.alloc(0), plaintext, out)).toThrow(SmbCryptoError);
    expect(() => aesCcmEncrypt(Buffer.alloc(16), Buffer.alloc(11), Buffer.alloc(32), plaintext, Buffer.alloc(5))).toThrow(SmbCryptoError);
    expect(() => aesCcmDecrypt(Buffer.alloc(16), Buffer.alloc(11), Buffer.alloc(32), Buffer.alloc(4), Buffer.alloc(8))).toThrow(SmbCryptoError);
  });
});
