import { describe, expect, test } from "vitest";
import { FsError } from "../errors.js";
import { decodeHandle, encodeHandle, MAX_FILE_ID_BYTES, shareIdFor } from "./handle.js";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FsError);
    return (err as FsError).code;
  }
  throw new Error("no error thrown");
}

describe("shareIdFor", () => {
  test("is the first 4 bytes of SHA-256 of the name, so ids survive restarts", () => {
    expect(shareIdFor("/export")).toBe(512538615);
    expect(shareIdFor("/share-107037")).toBe(3959625028);
  });

  test("differs between names", () => {
    expect(shareIdFor("/export")).not.toBe(shareIdFor("/export2"));
  });
});

describe("handle codec", () => {
  test.each([["42"], ["a3f9c2d1e0b4a5f6-17"], ["ünïcødé/✓"], ["x".repeat(MAX_FILE_ID_BYTES)], ["\uFEFFbom"]])(
    "round trips %j",
    (fileId) => {
      const handle = encodeHandle(0xdeadbeef, fileId);
      expect(handle.length).toBeLessThanOrEqual(64);
      expect(handle[0]).toBe(1);
      expect(handle.readUInt32BE(1)).toBe(0xdeadbeef);
      expect(decodeHandle(handle)).toEqual({ shareId: 0xdeadbeef, fileId });
    },
  );

  test("lays out [version][share id][file id]", () => {
    expect(encodeHandle(0x01020304, "ab")).toEqual(Buffer.from([1, 1, 2, 3, 4, 0x61, 0x62]));
  });

  test("decodes from a view into a larger buffer (as handles arrive inside RPC records)", () => {
    const record = Buffer.concat([Buffer.from([9, 9, 9]), encodeHandle(7, "file-1"), Buffer.from([9])]);
    expect(decodeHandle(record.subarray(3, record.length - 1))).toEqual({ shareId: 7, fileId: "file-1" });
  });

  test("refuses file ids a handle cannot hold", () => {
    expect(codeOf(() => encodeHandle(1, ""))).toBe("Io");
    expect(codeOf(() => encodeHandle(1, "x".repeat(MAX_FILE_ID_BYTES + 1)))).toBe("Io");
    expect(codeOf(() => encodeHandle(1, "é".repeat(30)))).toBe("Io");
  });

  test.each([
    ["empty", []],
    ["header only (empty file id)", [1, 0, 0, 0, 1]],
    ["truncated header", [1, 0, 0]],
    ["version 0", [0, 0, 0, 0, 1, 0x61]],
    ["version 2", [2, 0, 0, 0, 1, 0x61]],
    ["invalid UTF-8 byte", [1, 0, 0, 0, 1, 0xff]],
    ["lone continuation byte", [1, 0, 0, 0, 1, 0x80]],
    ["truncated multi-byte sequence", [1, 0, 0, 0, 1, 0xe2, 0x82]],
    ["overlong encoding of '/'", [1, 0, 0, 0, 1, 0xc0, 0xaf]],
    ["UTF-16 surrogate encoded in UTF-8", [1, 0, 0, 0, 1, 0xed, 0xa0, 0x80]],
    ["65 bytes", [1, 0, 0, 0, 1, ...Array(60).fill(0x61)]],
  ])("rejects a forged handle: %s", (_name, bytes) => {
    expect(codeOf(() => decodeHandle(Buffer.from(bytes)))).toBe("BadHandle");
  });
});
