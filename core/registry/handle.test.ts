import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { FsError } from "../errors.js";
import { encodeHandle, handleKeyFor, handleShareId, HANDLE_MAC_BYTES, MAX_FILE_ID_BYTES, ShareHandles, shareIdFor, verifyHandle } from "./handle.js";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FsError);
    return (err as FsError).code;
  }
  throw new Error("no error thrown");
}

const key = handleKeyFor(randomBytes(32), "/export");

describe("shareIdFor", () => {
  test("is the first 4 bytes of SHA-256 of the name, so ids survive restarts", () => {
    expect(shareIdFor("/export")).toBe(512538615);
    expect(shareIdFor("/share-107037")).toBe(3959625028);
  });

  test("differs between names", () => {
    expect(shareIdFor("/export")).not.toBe(shareIdFor("/export2"));
  });
});

describe("handleKeyFor", () => {
  test("is the same for the same secret and share, different for another share or secret", () => {
    const secret = randomBytes(32);
    expect(handleKeyFor(secret, "/a")).toEqual(handleKeyFor(Buffer.from(secret), "/a"));
    expect(handleKeyFor(secret, "/a")).not.toEqual(handleKeyFor(secret, "/b"));
    expect(handleKeyFor(secret, "/a")).not.toEqual(handleKeyFor(randomBytes(32), "/a"));
  });
});

describe("handle codec", () => {
  test.each([["42"], ["a3f9c2d1e0b4a5f6-17"], ["ünïcødé/✓"], ["x".repeat(MAX_FILE_ID_BYTES)], ["\uFEFFbom"]])(
    "round trips %j",
    (fileId) => {
      const handle = encodeHandle(key, 0xdeadbeef, fileId);
      expect(handle.length).toBeLessThanOrEqual(64);
      expect(handle[0]).toBe(2);
      expect(handleShareId(handle)).toBe(0xdeadbeef);
      expect(verifyHandle(key, handle)).toBe(fileId);
    },
  );

  test("holds 48-byte file ids (what stores promise) within 64 bytes", () => {
    expect(MAX_FILE_ID_BYTES).toBe(48);
    expect(encodeHandle(key, 1, "x".repeat(48)).length).toBe(64);
  });

  test("lays out [version][share id][file id][MAC]", () => {
    const handle = encodeHandle(key, 0x01020304, "ab");
    expect(handle.subarray(0, 7)).toEqual(Buffer.from([2, 1, 2, 3, 4, 0x61, 0x62]));
    expect(handle.length).toBe(7 + HANDLE_MAC_BYTES);
  });

  test("verifies from a view into a larger buffer (as handles arrive inside RPC records)", () => {
    const record = Buffer.concat([Buffer.from([9, 9, 9]), encodeHandle(key, 7, "file-1"), Buffer.from([9])]);
    const handle = record.subarray(3, record.length - 1);
    expect(handleShareId(handle)).toBe(7);
    expect(verifyHandle(key, handle)).toBe("file-1");
  });

  test("refuses file ids a handle cannot hold", () => {
    expect(codeOf(() => encodeHandle(key, 1, ""))).toBe("Io");
    expect(codeOf(() => encodeHandle(key, 1, "x".repeat(MAX_FILE_ID_BYTES + 1)))).toBe("Io");
    expect(codeOf(() => encodeHandle(key, 1, "é".repeat(25)))).toBe("Io");
  });

  test("a guessed file id, another share id or a flipped bit fails the MAC", () => {
    const handle = encodeHandle(key, 7, "41");
    const guessed = Buffer.from(handle);
    guessed[6] = 0x32; // "42"
    const otherShare = Buffer.from(handle);
    otherShare.writeUInt32BE(8, 1);
    const flipped = Buffer.from(handle);
    flipped[flipped.length - 1]! ^= 1;
    for (const forged of [guessed, otherShare, flipped]) expect(codeOf(() => verifyHandle(key, forged))).toBe("BadHandle");
    expect(codeOf(() => verifyHandle(handleKeyFor(randomBytes(32), "/export"), handle))).toBe("BadHandle");
  });

  test("rejects invalid UTF-8 in a file id even under a valid MAC", () => {
    const body = Buffer.from([2, 0, 0, 0, 1, 0xff]);
    const mac = createHmac("sha256", key).update(body).digest().subarray(0, HANDLE_MAC_BYTES);
    expect(codeOf(() => verifyHandle(key, Buffer.concat([body, mac])))).toBe("BadHandle");
  });

  test.each([
    ["empty", []],
    ["header and MAC only (empty file id)", [2, 0, 0, 0, 1, ...Array(HANDLE_MAC_BYTES).fill(0)]],
    ["truncated header", [2, 0, 0]],
    ["version 1 (unsigned handles before this release)", [1, 0, 0, 0, 1, 0x61, ...Array(HANDLE_MAC_BYTES).fill(0)]],
    ["version 3", [3, 0, 0, 0, 1, 0x61, ...Array(HANDLE_MAC_BYTES).fill(0)]],
    ["65 bytes", [2, 0, 0, 0, 1, ...Array(60).fill(0x61)]],
  ])("rejects a malformed handle: %s", (_name, bytes) => {
    expect(codeOf(() => verifyHandle(key, Buffer.from(bytes)))).toBe("BadHandle");
  });
});

describe("ShareHandles", () => {
  test("round trips through its caches, and a cached handle does not vouch for a forged one", () => {
    const handles = new ShareHandles(key, 7);
    const handle = handles.encode("41");
    expect(handles.encode("41")).toBe(handle);
    expect(handles.verify(Buffer.from(handle))).toBe("41");
    expect(handles.verify(Buffer.from(handle))).toBe("41");
    const forged = Buffer.from(handle);
    forged[5] = 0x32;
    expect(codeOf(() => handles.verify(forged))).toBe("BadHandle");
    expect(codeOf(() => new ShareHandles(handleKeyFor(randomBytes(32), "/x"), 7).verify(handle))).toBe("BadHandle");
  });
});
