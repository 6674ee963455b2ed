import { describe, expect, it } from "vitest";
import { SmbCryptoError } from "./errors.js";
import { sp800108CounterKdf } from "./kdf.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const ascii = (s: string): Buffer => Buffer.from(s, "ascii");

describe("sp800108CounterKdf", () => {
  // Independent computation: pyca/cryptography 48.0.0 KBKDFHMAC(SHA256, CounterMode, rlen=4, llen=4,
  // CounterLocation.BeforeFixed, label=b"label\0", context=b"context\0") with key 0x01 × 16.
  it("matches an independent SP800-108 counter-mode implementation, 128 and 256 bits", () => {
    const key = Buffer.alloc(16, 1);
    expect(sp800108CounterKdf(key, ascii("label\0"), ascii("context\0"), 128)).toEqual(
      hex("95C793DE20237D210294D33833D49B7F"),
    );
    expect(sp800108CounterKdf(key, ascii("label\0"), ascii("context\0"), 256)).toEqual(
      hex("BB2FCE7BA822CE6D9DF3E01A82EAE6E475511961817532CC6A05F957AB61AFEB"),
    );
  });

  // Microsoft Open Specifications blog, "Encryption in SMB 3.0: A protocol perspective"
  // (2012-10-05): SessionKey B454…C4F0 gives SigningKey F773…F852 (label "SMB2AESCMAC", context "SmbSign").
  it("derives the SMB 3.0 signing key of Microsoft's published example", () => {
    const key = sp800108CounterKdf(hex("B4546771B515F766A86735532DD6C4F0"), ascii("SMB2AESCMAC\0"), ascii("SmbSign\0"), 128);
    expect(key).toEqual(hex("F773CD23C18FD1E08EE510CADA7CF852"));
  });

  it("rejects an empty key", () => {
    expect(() => sp800108CounterKdf(Buffer.alloc(0), ascii("a\0"), ascii("b\0"), 128)).toThrow(SmbCryptoError);
  });
});
