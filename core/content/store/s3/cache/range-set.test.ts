import { describe, expect, it } from "vitest";
import { RangeSet } from "./range-set.js";

/** The same operations on a plain array of booleans: the model RangeSet must agree with. */
class Model {
  readonly bits: boolean[];
  constructor(size: number) {
    this.bits = new Array<boolean>(size).fill(false);
  }
  set(start: number, end: number, value: boolean): void {
    for (let i = start; i < Math.min(end, this.bits.length); i++) this.bits[i] = value;
  }
  ranges(): Array<{ start: number; end: number }> {
    const out: Array<{ start: number; end: number }> = [];
    this.bits.forEach((bit, i) => {
      if (!bit) return;
      const last = out.at(-1);
      if (last && last.end === i) last.end = i + 1;
      else out.push({ start: i, end: i + 1 });
    });
    return out;
  }
}

describe("RangeSet", () => {
  it("merges touching and overlapping ranges and splits on removal", () => {
    const set = new RangeSet();
    set.add(10, 20);
    set.add(20, 30);
    set.add(5, 12);
    expect(set.list()).toEqual([{ start: 5, end: 30 }]);
    set.remove(10, 15);
    expect(set.list()).toEqual([
      { start: 5, end: 10 },
      { start: 15, end: 30 },
    ]);
    expect(set.total).toBe(20);
    expect(set.missing(0, 40)).toEqual([
      { start: 0, end: 5 },
      { start: 10, end: 15 },
      { start: 30, end: 40 },
    ]);
    expect(set.covers(15, 30)).toBe(true);
    expect(set.covers(9, 11)).toBe(false);
    expect(set.overlaps(10, 15)).toBe(false);
    expect(set.overlaps(10, 16)).toBe(true);
    set.clip(20);
    expect(set.list()).toEqual([
      { start: 5, end: 10 },
      { start: 15, end: 20 },
    ]);
    expect(set.countWithin(0, 100)).toBe(10);
  });

  it("agrees with a bitmap model over thousands of random operations", () => {
    const size = 300;
    const set = new RangeSet();
    const model = new Model(size);
    for (let step = 0; step < 5000; step++) {
      const start = Math.floor(Math.random() * size);
      const end = Math.min(size, start + Math.floor(Math.random() * 40));
      const op = Math.random();
      if (op < 0.5) {
        set.add(start, end);
        model.set(start, end, true);
      } else if (op < 0.9) {
        set.remove(start, end);
        model.set(start, end, false);
      } else {
        set.clip(start);
        model.set(start, size, false);
      }
      const expected = model.ranges();
      expect(set.list()).toEqual(expected);
      expect(set.total).toBe(expected.reduce((sum, r) => sum + r.end - r.start, 0));
      const a = Math.floor(Math.random() * size);
      const b = Math.min(size, a + Math.floor(Math.random() * 50));
      expect(set.covers(a, b)).toBe(model.bits.slice(a, b).every(Boolean));
      expect(set.overlaps(a, b)).toBe(model.bits.slice(a, b).some(Boolean));
    }
  });
});
