import { describe, expect, it } from "vitest";
import { BufferPool } from "./buffer-pool.js";
import { ExtentList } from "./extent-list.js";

const EXTENT = 64;

function list(): { extents: ExtentList; pool: BufferPool } {
  const pool = new BufferPool(EXTENT, 4);
  return { extents: new ExtentList(pool, EXTENT), pool };
}

/** The list as [start, text] pairs, to compare in one expectation. */
function dump(extents: ExtentList): Array<[number, string]> {
  return extents.all().map((e) => [e.start, e.data.toString()]);
}

const b = (s: string): Buffer => Buffer.from(s);

describe("ExtentList", () => {
  it("coalesces adjacent writes into one extent", () => {
    const { extents } = list();
    extents.write(0, b("abcd"), false);
    extents.write(4, b("efgh"), false);
    extents.write(8, b("ij"), false);
    expect(dump(extents)).toEqual([[0, "abcdefghij"]]);
  });

  it("lets later writes win where they overlap", () => {
    const { extents } = list();
    extents.write(0, b("aaaaaaaa"), false);
    extents.write(2, b("BB"), false);
    extents.write(6, b("CCCC"), false);
    extents.write(0, b("D"), false);
    expect(dump(extents)).toEqual([[0, "DaBBaaCCCC"]]);
  });

  it("keeps distant writes apart, sorted, whatever the order they arrive in", () => {
    const { extents } = list();
    extents.write(40, b("x"), false);
    extents.write(10, b("y"), false);
    extents.write(25, b("z"), false);
    expect(dump(extents)).toEqual([
      [10, "y"],
      [25, "z"],
      [40, "x"],
    ]);
  });

  it("merges every extent a write bridges or overlaps", () => {
    const { extents } = list();
    extents.write(0, b("0123"), false);
    extents.write(8, b("89ab"), false);
    extents.write(14, b("ef"), false);
    extents.write(3, b("XXXXXXXXXXX"), false);
    expect(dump(extents)).toEqual([[0, "012XXXXXXXXXXXef"]]);
  });

  it("stops growing an extent at the extent size when writes only touch it", () => {
    const { extents } = list();
    for (let k = 0; k < EXTENT / 8 + 1; k++) extents.write(k * 8, Buffer.alloc(8, 97 + k), false);
    const all = extents.all();
    expect(all.map((e) => [e.start, e.length])).toEqual([
      [0, EXTENT],
      [EXTENT, 8],
    ]);
  });

  it("gives a sequential write a full pooled buffer and counts capacity as held", () => {
    const { extents } = list();
    extents.write(0, b("tiny"), false);
    expect(extents.held).toBe(4);
    extents.write(100, b("next"), true);
    expect(extents.held).toBe(4 + EXTENT);
    extents.write(104, b("more"), false);
    expect(extents.held).toBe(4 + EXTENT);
  });

  it("truncates: trims the straddling extent and drops the ones beyond", () => {
    const { extents } = list();
    extents.write(0, b("0123456789"), false);
    extents.write(20, b("abcdef"), false);
    extents.write(40, b("gh"), false);
    extents.truncate(23);
    expect(dump(extents)).toEqual([
      [0, "0123456789"],
      [20, "abc"],
    ]);
    extents.truncate(0);
    expect(extents.isEmpty).toBe(true);
    expect(extents.held).toBe(0);
  });

  it("fills only the gaps left by its own extents and newer ranges", () => {
    const { extents } = list();
    extents.write(2, b("NN"), false);
    const kept = extents.fillGaps(0, b("oooooooooo"), [{ start: 6, end: 8 }]);
    expect(kept).toBe(6);
    expect(dump(extents)).toEqual([
      [0, "ooNNoo"],
      [8, "oo"],
    ]);
    expect(extents.fillGaps(0, b("zzzz"), [{ start: 0, end: Infinity }])).toBe(0);
  });

  it("takes overlapping extents out of the list", () => {
    const { extents } = list();
    extents.write(0, b("aa"), false);
    extents.write(10, b("bb"), false);
    extents.write(20, b("cc"), false);
    const taken = extents.takeOverlapping(5, 21);
    expect(taken.map((e) => e.start)).toEqual([10, 20]);
    expect(dump(extents)).toEqual([[0, "aa"]]);
    expect(extents.held).toBe(2);
  });

  it("returns a pinned buffer to the pool only after the last unpin", () => {
    const { extents, pool } = list();
    const extent = extents.write(0, b("abc"), true);
    extent.pin();
    extents.clear();
    expect(pool.idle).toBe(0);
    expect(extent.data.toString()).toBe("abc");
    extent.unpin();
    expect(pool.idle).toBe(1);
  });
});
