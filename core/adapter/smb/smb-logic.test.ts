import { describe, expect, it } from "vitest";
import { matchesPattern } from "./commands/wildcard.js";
import { splitPath } from "./context.js";
import { CreditWindow } from "./credits.js";
import { SmbStatusError } from "./errors.js";
import { FrameAssembler, frameHeader, SmbFramingError } from "./framing.js";

describe("search patterns", () => {
  it("matches every name with * and *.*, as Windows does", () => {
    for (const name of ["a", "a.txt", ".hidden", "no dot"]) {
      expect(matchesPattern(name, "*")).toBe(true);
      expect(matchesPattern(name, "*.*")).toBe(true);
    }
  });

  it("matches ? and * without case, and a plain name exactly", () => {
    expect(matchesPattern("Report.TXT", "*.txt")).toBe(true);
    expect(matchesPattern("report.txt", "rep?rt.*")).toBe(true);
    expect(matchesPattern("report.txt", "rep?t.*")).toBe(false);
    expect(matchesPattern("a.txt.bak", "*.txt")).toBe(false);
    expect(matchesPattern("File", "file")).toBe(true);
    expect(matchesPattern("File2", "file")).toBe(false);
  });

  it("reads the DOS wildcards < > and \" as * ? and .", () => {
    expect(matchesPattern("photo.jpg", "<.jpg")).toBe(true);
    expect(matchesPattern("ab", "a>")).toBe(true);
    expect(matchesPattern("a.b", 'a"b')).toBe(true);
  });

  it("stays linear on patterns that would make a naive matcher explode", () => {
    expect(matchesPattern("a".repeat(5000), `${"*a".repeat(200)}b`)).toBe(false);
  });
});

describe("share paths", () => {
  it("splits on backslashes, with or without a leading one", () => {
    expect(splitPath("")).toEqual([]);
    expect(splitPath("\\")).toEqual([]);
    expect(splitPath("dir\\file.txt")).toEqual(["dir", "file.txt"]);
    expect(splitPath("\\dir\\file.txt")).toEqual(["dir", "file.txt"]);
  });

  it.each([
    ["a\\..\\b", "OBJECT_PATH_SYNTAX_BAD"],
    ["a\\.\\b", "OBJECT_PATH_SYNTAX_BAD"],
    ["a\\\\b", "OBJECT_PATH_SYNTAX_BAD"],
    ["file.txt:stream", "OBJECT_NAME_INVALID"],
    ["a*", "OBJECT_NAME_INVALID"],
    ["a/b", "OBJECT_NAME_INVALID"],
    ["bell\u0007", "OBJECT_NAME_INVALID"],
    ["x".repeat(256), "OBJECT_NAME_INVALID"],
  ])("refuses %j", (path, status) => {
    const statusOf: Record<string, number> = { OBJECT_PATH_SYNTAX_BAD: 0xc000003b, OBJECT_NAME_INVALID: 0xc0000033 };
    let caught: unknown;
    try {
      splitPath(path);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SmbStatusError);
    expect((caught as SmbStatusError).status).toBe(statusOf[status]);
  });
});

describe("credits", () => {
  it("takes each granted message id once, in any order", () => {
    const window = new CreditWindow(100);
    expect(window.spend(0n, 1)).toBe(true);
    expect(window.grant(10)).toBe(10);
    expect(window.spend(3n, 1)).toBe(true);
    expect(window.spend(1n, 2)).toBe(true);
    expect(window.spend(3n, 1)).toBe(false);
    expect(window.spend(0n, 1)).toBe(false);
  });

  it("refuses ids never granted, and a charge running past the window", () => {
    const window = new CreditWindow(100);
    expect(window.spend(5n, 1)).toBe(false);
    expect(window.spend(0n, 2)).toBe(false);
    expect(window.spend(0n, 1)).toBe(true);
  });

  it("grants no more than the maximum outstanding, and one when the client holds none", () => {
    const window = new CreditWindow(8);
    window.spend(0n, 1);
    expect(window.grant(1000)).toBe(8);
    expect(window.grant(1000)).toBe(0);
    for (let id = 1n; id <= 8n; id++) expect(window.spend(id, 1)).toBe(true);
    expect(window.grant(0)).toBe(1);
  });
});

describe("direct TCP framing", () => {
  const frame = (body: Buffer) => Buffer.concat([frameHeader(body.length), body]);

  it("reassembles messages split anywhere and several in one chunk", () => {
    const assembler = new FrameAssembler(1024);
    const bytes = Buffer.concat([frame(Buffer.from("first")), frame(Buffer.from("second message"))]);
    for (const byte of bytes) assembler.push(Buffer.from([byte]));
    expect(assembler.next()?.toString()).toBe("first");
    expect(assembler.next()?.toString()).toBe("second message");
    expect(assembler.next()).toBeUndefined();
  });

  it("refuses frames over the limit, empty frames and other frame types", () => {
    expect(() => new FrameAssembler(16).push(frameHeader(17))).toThrow(SmbFramingError);
    expect(() => new FrameAssembler(16).push(frameHeader(0))).toThrow(SmbFramingError);
    expect(() => new FrameAssembler(16).push(Buffer.from([0x85, 0, 0, 0]))).toThrow(SmbFramingError);
  });
});
