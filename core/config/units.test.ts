import { describe, expect, test } from "vitest";
import { formatSize, parseDuration, parseSize } from "./units.js";

describe("parseSize", () => {
  test.each([
    [4096, 4096],
    ["4096", 4096],
    ["512KiB", 512 * 1024],
    ["64MiB", 64 * 2 ** 20],
    ["64mib", 64 * 2 ** 20],
    ["1GiB", 2 ** 30],
    ["1.5GiB", 1.5 * 2 ** 30],
    ["2 TiB", 2 * 2 ** 40],
    ["100MB", 100_000_000],
    ["1kb", 1000],
    ["10B", 10],
  ])("%j → %d", (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  test.each([[-1], [1.5], ["64 potatoes"], ["64M"], ["MiB"], [""], ["-1KiB"], [null], [true], [[1]], ["1e3"]])(
    "%j is not a size",
    (input) => {
      expect(parseSize(input)).toBeUndefined();
    },
  );
});

describe("parseDuration", () => {
  test.each([
    [0, 0],
    [2500, 2500],
    ["500ms", 500],
    ["10s", 10_000],
    ["1.5s", 1500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    [" 3 S ", 3000],
  ])("%j → %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each([[-5], ["10"], ["10 seconds"], ["s"], [Infinity], [null], [{}]])("%j is not a duration", (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe("formatSize", () => {
  test.each([
    [0, "0B"],
    [300, "300B"],
    [1024, "1KiB"],
    [64 * 2 ** 20, "64MiB"],
    [1.5 * 2 ** 30, "1.5GiB"],
    [2 ** 20 + 4096, "1MiB"],
  ])("%d → %s", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});
