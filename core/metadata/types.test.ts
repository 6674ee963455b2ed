import { describe, expect, it } from "vitest";
import { timespecNow } from "./types.js";

describe("timespecNow", () => {
  it("never goes backwards, and every reading is later than the one before", () => {
    let previous = timespecNow();
    let backwards = 0;
    let outOfRange = 0;
    for (let i = 0; i < 200_000; i++) {
      const now = timespecNow();
      if (now.sec < previous.sec || (now.sec === previous.sec && now.nsec <= previous.nsec)) backwards++;
      if (now.nsec < 0 || now.nsec >= 1_000_000_000) outOfRange++;
      previous = now;
    }
    expect({ backwards, outOfRange }).toEqual({ backwards: 0, outOfRange: 0 });
  });

  it("follows the wall clock", () => {
    const now = timespecNow();
    expect(Math.abs(now.sec * 1000 + now.nsec / 1e6 - Date.now())).toBeLessThan(1000);
  });
});
