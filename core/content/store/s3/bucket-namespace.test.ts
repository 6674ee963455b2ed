import { describe, expect, it } from "vitest";
import { fileNameProblem } from "./bucket-namespace.js";

describe("which key segments can be file names", () => {
  it("accepts ordinary names, unicode and spaces", () => {
    for (const name of ["a.txt", "photo 2024.jpg", "été", "x".repeat(255), "..hidden"]) expect(fileNameProblem(name)).toBeNull();
  });

  it("refuses empty segments, dot segments, over-long names and NUL", () => {
    expect(fileNameProblem("")).toBe("has an empty path segment");
    expect(fileNameProblem("/x")).toBe("has an empty path segment");
    expect(fileNameProblem(".")).toBe('has a "." segment');
    expect(fileNameProblem("..")).toBe('has a ".." segment');
    expect(fileNameProblem("é".repeat(128))).toBe("has a segment longer than 255 bytes");
    expect(fileNameProblem("a\0b")).toBe("contains a NUL character");
  });
});
