import { describe, expect, it } from "vitest";
import { NdrError, NdrReader, NdrWriter } from "./ndr.js";

describe("NDR writer and reader", () => {
  it("aligns each primitive to its size, relative to the stub start (C706 §14.2.2)", () => {
    const w = new NdrWriter(2);
    w.u8(1).u32(0xdeadbeef).u8(2).u16(0x1234).u32(7);
    expect(w.toBuffer().toString("hex")).toBe("01000000" + "efbeadde" + "02" + "00" + "3412" + "07000000");
    // The same stub read from inside a larger buffer: alignment counts from the stub, not the buffer.
    const framed = Buffer.concat([Buffer.alloc(3, 0xff), w.toBuffer()]);
    const r = new NdrReader(framed, 3);
    expect([r.u8(), r.u32(), r.u8(), r.u16(), r.u32()]).toEqual([1, 0xdeadbeef, 2, 0x1234, 7]);
    expect(r.remaining).toBe(0);
  });

  it("writes a [string] wchar_t* as maximum count, offset 0, actual count, UTF-16LE and a NUL", () => {
    const w = new NdrWriter();
    w.wstring("ab");
    expect(w.toBuffer().toString("hex")).toBe("03000000" + "00000000" + "03000000" + "6100" + "6200" + "0000");
    const r = new NdrReader(w.toBuffer());
    expect(r.wstring(10)).toBe("ab");
  });

  it("round-trips empty and non-BMP strings and realigns after them", () => {
    const w = new NdrWriter(4);
    w.wstring("").u32(1).wstring("Zoë 📁 x").u32(2);
    const r = new NdrReader(w.toBuffer());
    expect(r.wstring(0)).toBe("");
    expect(r.u32()).toBe(1);
    expect(r.wstring(20)).toBe("Zoë 📁 x");
    expect(r.u32()).toBe(2);
    expect(r.remaining).toBe(0);
  });

  it("numbers non-null pointers with distinct non-zero referent ids and writes 0 for null", () => {
    const w = new NdrWriter();
    w.pointer(true).pointer(false).pointer(true);
    const r = new NdrReader(w.toBuffer());
    const [a, b, c] = [r.pointer(), r.pointer(), r.pointer()];
    expect(a).not.toBe(0);
    expect(b).toBe(0);
    expect(c).not.toBe(0);
    expect(c).not.toBe(a);
  });
});

describe("NDR reader on hostile input", () => {
  const words = (...v: number[]) => {
    const b = Buffer.alloc(v.length * 4);
    v.forEach((x, i) => b.writeUInt32LE(x >>> 0, i * 4));
    return b;
  };

  it.each([
    ["no terminating NUL", Buffer.concat([words(2, 0, 2), Buffer.from("ab", "utf16le")]), /NUL/],
    ["a non-zero offset", Buffer.concat([words(2, 1, 1), Buffer.alloc(4)]), /offset/],
    ["more characters than its maximum count", Buffer.concat([words(1, 0, 2), Buffer.alloc(4)]), /maximum count/],
    ["no characters at all", words(0, 0, 0), /NUL/],
    ["a count of 2^32 - 1 and no data", words(0xffffffff, 0, 0xffffffff), /limit|truncated/],
    ["characters beyond the stub", words(50, 0, 50), /truncated/],
    ["a header cut short", words(3, 0).subarray(0, 6), /truncated/],
  ])("refuses a string with %s", (_name, stub, message) => {
    expect(() => new NdrReader(stub).wstring(100)).toThrow(NdrError);
    expect(() => new NdrReader(stub).wstring(100)).toThrow(message);
  });

  it("refuses a string longer than the caller's limit", () => {
    const w = new NdrWriter();
    w.wstring("x".repeat(81));
    expect(() => new NdrReader(w.toBuffer()).wstring(80)).toThrow(/exceeds limit 80/);
  });

  it("refuses an array count larger than the stub could hold or than the limit", () => {
    const stub = Buffer.concat([words(1000), Buffer.alloc(64)]);
    expect(() => new NdrReader(stub).conformantCount(12, 1 << 20)).toThrow(/exceeds the 64 bytes left/);
    expect(() => new NdrReader(words(5)).conformantCount(0, 4)).toThrow(/exceeds limit 4/);
    expect(new NdrReader(Buffer.concat([words(5), Buffer.alloc(60)])).conformantCount(12, 5)).toBe(5);
  });

  it("refuses to read past the end, alignment padding included", () => {
    const r = new NdrReader(Buffer.from([1, 0, 0]));
    r.u8();
    expect(() => r.u32()).toThrow(NdrError);
  });
});
