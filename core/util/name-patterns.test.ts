import { describe, expect, it } from "vitest";
import { MAX_NAME_PATTERNS, NamePatterns, namePatternProblem } from "./name-patterns.js";

const litter = NamePatterns.compile([".DS_Store", "._*", "Thumbs.db", "desktop.ini"]);

describe("NamePatterns", () => {
  it("matches whole names without case", () => {
    expect(litter.matches(".DS_Store")).toBe(true);
    expect(litter.matches(".ds_store")).toBe(true);
    expect(litter.matches("THUMBS.DB")).toBe(true);
    expect(litter.matches("Desktop.INI")).toBe(true);
    expect(litter.matches("photo.jpg")).toBe(false);
    expect(litter.matches(".DS_Store2")).toBe(false);
    expect(litter.matches("x.DS_Store")).toBe(false);
    expect(litter.matches("Thumbs.db.bak")).toBe(false);
  });

  it("takes * as any run of characters, also none, and dots literally", () => {
    expect(litter.matches("._photo.jpg")).toBe(true);
    expect(litter.matches("._")).toBe(true);
    expect(litter.matches("_.photo")).toBe(false);
    expect(litter.matches(".photo")).toBe(false);
    const dotted = NamePatterns.compile(["*.tmp"]);
    expect(dotted.matches("a.tmp")).toBe(true);
    expect(dotted.matches(".tmp")).toBe(true);
    expect(dotted.matches("atmp")).toBe(false);
    expect(dotted.matches("a.tmp.txt")).toBe(false);
    const middle = NamePatterns.compile(["a*b*c"]);
    expect(middle.matches("abc")).toBe(true);
    expect(middle.matches("aXbYbZc")).toBe(true);
    expect(middle.matches("aXbYcZ")).toBe(false);
  });

  it("takes ? as exactly one character, also a non-ASCII one", () => {
    const one = NamePatterns.compile(["~$?.docx"]);
    expect(one.matches("~$a.docx")).toBe(true);
    expect(one.matches("~$é.docx")).toBe(true);
    expect(one.matches("~$😀.docx")).toBe(true);
    expect(one.matches("~$.docx")).toBe(false);
    expect(one.matches("~$ab.docx")).toBe(false);
  });

  it("never matches part of a path", () => {
    expect(litter.matches("dir/.DS_Store")).toBe(false);
    expect(() => NamePatterns.compile(["dir/.DS_Store"])).toThrow(/"\/"/);
  });

  it("matches nothing when empty", () => {
    const none = NamePatterns.compile([]);
    expect(none.empty).toBe(true);
    expect(none.matches(".DS_Store")).toBe(false);
    expect(litter.empty).toBe(false);
  });

  it("treats regular-expression characters as plain characters", () => {
    const odd = NamePatterns.compile(["a+b(c)[d]{2}.^$|\\"]);
    expect(odd.matches("a+b(c)[d]{2}.^$|\\")).toBe(true);
    expect(odd.matches("aab(c)d{2}x^$|\\")).toBe(false);
    expect(NamePatterns.compile(["(a+)+$"]).matches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaX")).toBe(false);
  });

  it("answers a pattern built to backtrack against a long name (no exponential walk)", () => {
    const hostile = NamePatterns.compile(["*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"]);
    expect(hostile.matches("a".repeat(255))).toBe(false);
    expect(hostile.matches(`${"a".repeat(254)}b`)).toBe(true);
  });

  it("refuses bad patterns and too many of them", () => {
    expect(namePatternProblem("")).toMatch(/empty/);
    expect(namePatternProblem("a\0b")).toMatch(/NUL/);
    expect(namePatternProblem("x".repeat(256))).toMatch(/longer than 255/);
    expect(namePatternProblem("x".repeat(255))).toBeNull();
    expect(() => NamePatterns.compile(Array.from({ length: MAX_NAME_PATTERNS + 1 }, (_, i) => `p${i}`))).toThrow(/at most 64/);
    expect(NamePatterns.compile(Array.from({ length: MAX_NAME_PATTERNS }, (_, i) => `p${i}`)).matches("P63")).toBe(true);
  });
});
