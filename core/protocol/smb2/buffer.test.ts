import { describe, expect, it } from "vitest";
import { SmbWriter } from "./buffer.js";

describe("SmbWriter", () => {
  it("keeps every value written while it grows past its initial size", () => {
    const w = new SmbWriter(4);
    const blob = Buffer.alloc(10, 0xab);
    w.u8(1).u16(0x0302).u32(0x07060504).u64(0x0f0e0d0c0b0a0908n).bytes(blob).zeros(3).u8(0xff);
    const expected = Buffer.concat([
      Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
      blob,
      Buffer.alloc(3),
      Buffer.from([0xff]),
    ]);
    expect(w.buffer()).toEqual(expected);
  });

  it("grows on each kind of write", () => {
    for (const write of [(w: SmbWriter) => w.u8(7), (w: SmbWriter) => w.u16(7), (w: SmbWriter) => w.u32(7), (w: SmbWriter) => w.u64(7), (w: SmbWriter) => w.bytes(Buffer.from([7]))]) {
      const w = new SmbWriter(1).u8(9);
      write(w);
      expect(w.buffer()[0]).toBe(9);
      expect(w.buffer()[1]).toBe(7);
    }
  });
});
