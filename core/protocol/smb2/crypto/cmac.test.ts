import { describe, expect, it } from "vitest";
import { aesCmac } from "./cmac.js";
import { SmbCryptoError } from "./errors.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// RFC 4493 §4 "Test Vectors": one key, and the message M cut at 0, 16, 40 and 64 bytes.
const K = hex("2b7e1516 28aed2a6 abf71588 09cf4f3c");
const M = hex(`6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51
               30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710`);
const RFC4493_EXAMPLES: ReadonlyArray<[number, string]> = [
  [0, "bb1d6929 e9593728 7fa37d12 9b756746"],
  [16, "070a16b4 6b4d4144 f79bdd9d d04a287c"],
  [40, "dfa66747 de9ae630 30ca3261 1497c827"],
  [64, "51f0bebf 7e3b9d92 fc497417 79363cfe"],
];

describe("aesCmac", () => {
  it.each(RFC4493_EXAMPLES)("gives the RFC 4493 §4 tag of a %i-byte message", (length, tag) => {
    expect(aesCmac(K, [M.subarray(0, length)])).toEqual(hex(tag));
  });

  it("gives the same tag however the message is split into parts", () => {
    for (const [length, tag] of RFC4493_EXAMPLES) {
      const message = M.subarray(0, length);
      for (let a = 0; a <= length; a++) {
        for (let b = a; b <= length; b += 7) {
          const parts = [message.subarray(0, a), message.subarray(a, b), message.subarray(b)];
          expect(aesCmac(K, parts), `${length} bytes split at ${a}, ${b}`).toEqual(hex(tag));
        }
      }
    }
  });

  it("rejects a key that is not 16 bytes", () => {
    expect(() => aesCmac(Buffer.alloc(32), [M])).toThrow(SmbCryptoError);
    expect(() => aesCmac(Buffer.alloc(0), [M])).toThrow(SmbCryptoError);
  });
});
