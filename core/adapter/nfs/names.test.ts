import { describe, expect, it } from "vitest";
import { isFsError, type FsErrorCode } from "../../errors.js";
import { decodeName, decodePath, type NameUse } from "./names.js";

function codeOf(fn: () => unknown): FsErrorCode | "ok" {
  try {
    fn();
    return "ok";
  } catch (err) {
    if (isFsError(err)) return err.code;
    throw err;
  }
}

const name = (bytes: Buffer | string, use: NameUse) => codeOf(() => decodeName(Buffer.from(bytes), use));

describe("decodeName", () => {
  it("accepts ordinary and non-ASCII UTF-8 names", () => {
    expect(decodeName(Buffer.from("report.txt"), "create")).toBe("report.txt");
    expect(decodeName(Buffer.from("café ☕"), "lookup")).toBe("café ☕");
  });

  it("refuses an empty name (NotFound for lookup)", () => {
    expect(name("", "lookup")).toBe("NotFound");
    expect(name("", "create")).toBe("Invalid");
    expect(name("", "remove")).toBe("Invalid");
  });

  it("refuses '/' and NUL", () => {
    expect(name("a/b", "lookup")).toBe("Invalid");
    expect(name("a\0b", "create")).toBe("Invalid");
  });

  it("allows 255 bytes and refuses 256 with NameTooLong", () => {
    expect(name("x".repeat(255), "create")).toBe("ok");
    expect(name("x".repeat(256), "create")).toBe("NameTooLong");
    // 128 two-byte characters: 256 bytes although 128 characters.
    expect(name("é".repeat(128), "lookup")).toBe("NameTooLong");
  });

  it("refuses bytes that are not UTF-8", () => {
    expect(name(Buffer.from([0x66, 0xff, 0x6f]), "create")).toBe("Invalid");
    expect(name(Buffer.from([0xc3]), "lookup")).toBe("Invalid");
  });

  it("lets '.' and '..' be looked up, never created or removed", () => {
    expect(name(".", "lookup")).toBe("ok");
    expect(name("..", "lookup")).toBe("ok");
    expect(name(".", "create")).toBe("Exists");
    expect(name("..", "create")).toBe("Exists");
    expect(name(".", "remove")).toBe("Invalid");
    expect(name("..", "remove")).toBe("Invalid");
    expect(name("...", "create")).toBe("ok");
  });
});

describe("decodePath", () => {
  it("accepts relative and absolute targets", () => {
    expect(decodePath(Buffer.from("../a/b"))).toBe("../a/b");
  });

  it("refuses empty, NUL, non-UTF-8 and over-long targets", () => {
    expect(codeOf(() => decodePath(Buffer.alloc(0)))).toBe("Invalid");
    expect(codeOf(() => decodePath(Buffer.from("a\0")))).toBe("Invalid");
    expect(codeOf(() => decodePath(Buffer.from([0xfe])))).toBe("Invalid");
    expect(codeOf(() => decodePath(Buffer.alloc(4097, 0x61)))).toBe("NameTooLong");
    expect(codeOf(() => decodePath(Buffer.alloc(4096, 0x61)))).toBe("ok");
  });
});
