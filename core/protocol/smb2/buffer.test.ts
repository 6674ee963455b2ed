import { describe, expect, it } from "vitest";
import { fromUtf16, SmbDecodeError, SmbReader, SmbWriter, utf16 } from "./buffer.js";

describe("SmbWriter", () => {
  it("keeps every value written while it grows, whatever the width", () => {
    const w = new SmbWriter(1);
    const expected: number[] = [];
    for (let i = 0; i < 300; i++) {
      w.u8(i & 0xff).u16(i).u32(i * 65537).u64(BigInt(i) << 40n).bytes(Buffer.from([i & 0xff, 7])).zeros(3);
      expected.push(i);
    }
    const r = new SmbReader(w.buffer());
    for (const i of expected) {
      expect([r.u8(), r.u16(), r.u32(), r.u64(), r.u8(), r.u8(), r.u8(), r.u8(), r.u8()]).toEqual([
        i & 0xff,
        i,
        (i * 65537) >>> 0,
        BigInt(i) << 40n,
        i & 0xff,
        7,
        0,
        0,
        0,
      ]);
    }
    expect(r.offset).toBe(w.buffer().length);
  });

  it("aligns and patches values written earlier", () => {
    const w = new SmbWriter(4).u8(1).align(8).u32(0);
    w.setU32(8, 0xdeadbeef);
    expect(w.buffer().toString("hex")).toBe("0100000000000000efbeadde");
  });
});

describe("SmbReader", () => {
  it("refuses to read past the message and parts pointing outside it", () => {
    const r = new SmbReader(Buffer.alloc(10));
    r.skip(8);
    expect(() => r.u32()).toThrow(SmbDecodeError);
    expect(() => r.blob(8, 4)).toThrow(SmbDecodeError);
    expect(() => r.blob(2, 4, 4)).toThrow(SmbDecodeError);
    expect(r.blob(1000, 0).length).toBe(0);
    expect(() => r.seek(11)).toThrow(SmbDecodeError);
  });

  it("reads 64-bit sizes past 2^53 as MAX_SAFE_INTEGER", () => {
    const r = new SmbReader(Buffer.from("ffffffffffffffff", "hex"));
    expect(r.u64n()).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("decodes UTF-16LE and refuses odd lengths", () => {
    expect(fromUtf16(utf16("dïr\\fïlé"))).toBe("dïr\\fïlé");
    expect(() => fromUtf16(Buffer.alloc(3))).toThrow(SmbDecodeError);
  });
});
