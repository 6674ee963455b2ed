import { describe, expect, it } from "vitest";
import { md4 } from "./md4.js";

describe("MD4", () => {
  // RFC 1320, appendix A.5 "Test suite".
  const suite: Array<[string, string]> = [
    ["", "31d6cfe0d16ae931b73c59d7e0c089c0"],
    ["a", "bde52cb31de33e46245e05fbdbd6fb24"],
    ["abc", "a448017aaf21d8525fc10ae87aa6729d"],
    ["message digest", "d9130a8164549fe818874806e1c7014b"],
    ["abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"],
    ["12345678901234567890123456789012345678901234567890123456789012345678901234567890", "e33b4ddc9c38f2199c3e7b164fcc0536"],
  ];
  for (const [input, digest] of suite) {
    it(`MD4("${input.slice(0, 20)}${input.length > 20 ? "…" : ""}") = ${digest}`, () => {
      expect(md4(Buffer.from(input, "latin1")).toString("hex")).toBe(digest);
    });
  }

  it("pads across a block boundary (55, 56 and 64 bytes differ)", () => {
    const digests = [55, 56, 63, 64, 65].map((n) => md4(Buffer.alloc(n, 0x61)).toString("hex"));
    expect(new Set(digests).size).toBe(digests.length);
  });
});
