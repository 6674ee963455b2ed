import { describe, expect, it } from "vitest";
import { Rc4, rc4k } from "./rc4.js";

describe("RC4", () => {
  // RFC 6229 §2, keystream for the 40-bit key 0x0102030405 and the 128-bit key 0x0102...10.
  const vectors: Array<[string, Array<[number, string]>]> = [
    [
      "0102030405",
      [
        [0, "b2396305f03dc027ccc3524a0a1118a8"],
        [16, "6982944f18fc82d589c403a47a0d0919"],
        [240, "28cb1132c96ce286421dcaadb8b69eae"],
        [256, "1cfcf62b03eddb641d77dfcf7f8d8c93"],
        [1008, "45129048e6a0ed0b56b490338f078da5"],
        [1024, "30abbcc7c20b01609f23ee2d5f6bb7df"],
      ],
    ],
    [
      "0102030405060708090a0b0c0d0e0f10",
      [
        [0, "9ac7cc9a609d1ef7b2932899cde41b97"],
        [16, "5248c4959014126a6e8a84f11d1a9e1c"],
        [240, "065902e4b620f6cc36c8589f66432f2b"],
        [256, "d39d566bc6bce3010768151549f3873f"],
        [1008, "e7a72574f8782ae26aabcf9ebcd66065"],
        [1024, "bdf0324e6083dcc6d3cedd3ca8c53c16"],
      ],
    ],
  ];
  for (const [key, stream] of vectors) {
    it(`produces RFC 6229's keystream for key ${key}, carrying state across calls`, () => {
      const rc4 = new Rc4(Buffer.from(key, "hex"));
      const chunks: Buffer[] = [];
      for (let done = 0; done < 1040; done += 7) chunks.push(rc4.apply(Buffer.alloc(Math.min(7, 1040 - done))));
      const keystream = Buffer.concat(chunks);
      for (const [offset, expected] of stream) {
        expect(keystream.subarray(offset, offset + 16).toString("hex")).toBe(expected);
      }
    });
  }

  it("RC4K decrypts what it encrypts", () => {
    const key = Buffer.from("secret key");
    const data = Buffer.from("attack at dawn");
    expect(rc4k(key, rc4k(key, data))).toEqual(data);
  });

  it("refuses an empty key", () => {
    expect(() => new Rc4(Buffer.alloc(0))).toThrow(RangeError);
  });
});
