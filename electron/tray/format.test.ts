import { describe, expect, it } from "vitest";
import { count, humanSize } from "./format.js";

describe("humanSize", () => {
  it("uses decimal units, one decimal below 10", () => {
    expect(humanSize(0)).toBe("0 B");
    expect(humanSize(999)).toBe("999 B");
    expect(humanSize(1000)).toBe("1 KB");
    expect(humanSize(1500)).toBe("1.5 KB");
    expect(humanSize(12_000_000)).toBe("12 MB");
    expect(humanSize(12_400_000)).toBe("12 MB");
    expect(humanSize(3_250_000_000)).toBe("3.3 GB");
    expect(humanSize(2e15)).toBe("2 PB");
    expect(humanSize(5e18)).toBe("5000 PB");
  });

  it("moves up a unit when rounding reaches 1000", () => {
    expect(humanSize(999_600)).toBe("1 MB");
    expect(humanSize(9_960)).toBe("10 KB");
  });

  it("shows nonsense sizes as 0 B", () => {
    expect(humanSize(-5)).toBe("0 B");
    expect(humanSize(Number.NaN)).toBe("0 B");
  });
});

describe("count", () => {
  it("puts the noun in the plural except for one", () => {
    expect(count(0, "file")).toBe("0 files");
    expect(count(1, "file")).toBe("1 file");
    expect(count(2, "drive")).toBe("2 drives");
  });
});
