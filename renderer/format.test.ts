import { describe, expect, it } from "vitest";
import { count, humanSize } from "./format.js";

describe("humanSize", () => {
  it("uses binary units with one decimal below 100", () => {
    expect([0, 1023, 1024, 1536, 32 * 1024 * 1024 + 1, 150 * 1024 ** 3, 2 * 1024 ** 6].map(humanSize)).toEqual([
      "0 B",
      "1023 B",
      "1.0 KiB",
      "1.5 KiB",
      "32.0 MiB",
      "150 GiB",
      "2048 PiB",
    ]);
  });
});

describe("count", () => {
  it("makes the noun plural unless there is one", () => {
    expect([count(0, "file"), count(1, "file"), count(2, "upload")]).toEqual(["0 files", "1 file", "2 uploads"]);
  });
});
