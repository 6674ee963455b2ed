import { describe, expect, it } from "vitest";
import { XdrError, XdrReader } from "./reader.js";
import { XdrWriter } from "./writer.js";

describe("XDR writer", () => {
  it("encodes primitives big-endian with 4-byte padding", () => {
    const w = new XdrWriter(4);
    w.u32(0xdeadbeef).i32(-2).bool(true).u64(2 ** 40 + 7).string("abcde").opaqueFixed(Buffer.from([1, 2]));
    expect(w.toBuffer().toString("hex")).toBe(
      "deadbeef" + "fffffffe" + "00000001" + "0000010000000007" + "00000005" + "6162636465000000" + "01020000",
    );
  });

  it("keeps every value when the scratch buffer grows mid-value", () => {
    // A tiny initial buffer forces ensure() to reallocate inside u32, i32, i64, u64 and padding.
    const w = new XdrWriter(2);
    for (let i = 0; i < 300; i++) w.u32(i).i32(-i - 1).i64(BigInt(-i - 1)).u64(i * 3).string("x".repeat(i % 5));
    const r = new XdrReader(w.toBuffer());
    for (let i = 0; i < 300; i++) {
      expect(r.u32()).toBe(i);
      expect(r.i32()).toBe(-i - 1);
      expect(r.i64()).toBe(BigInt(-i - 1));
      expect(r.u64()).toBe(i * 3);
      expect(r.string(10)).toBe("x".repeat(i % 5));
    }
    expect(r.remaining).toBe(0);
  });

  it("takes u32 and u64 values as >>> 0 and the unsigned hyper would", () => {
    const w = new XdrWriter();
    w.u32(-1).u32(2 ** 32 + 5).u32(7.9).u32(Number.NaN).u64(Number.MAX_SAFE_INTEGER).u64(0);
    expect(w.toBuffer().toString("hex")).toBe(
      "ffffffff" + "00000005" + "00000007" + "00000000" + "001fffffffffffff" + "0000000000000000",
    );
  });

  it("holds words to fill in later, also after a payload was referenced", () => {
    const w = new XdrWriter(8);
    const first = w.reserveU32();
    w.u32(1).opaqueRef(Buffer.alloc(2048, 9));
    const last = w.reserveU32();
    w.setU32(first, 0xcafe).setU32(last, 0xbeef);
    const r = new XdrReader(w.toBuffer());
    expect(r.u32()).toBe(0xcafe);
    expect(r.u32()).toBe(1);
    expect(r.opaqueVar(4096).length).toBe(2048);
    expect(r.u32()).toBe(0xbeef);
  });

  it("releases referenced payloads once, when the transport says so, and small copied ones at once", () => {
    const released: string[] = [];
    const w = new XdrWriter();
    w.opaqueRef(Buffer.alloc(16), () => released.push("small"));
    expect(released).toEqual(["small"]);
    w.opaqueRef(Buffer.alloc(4096), () => released.push("large"));
    expect(w.holdsRefs).toBe(true);
    expect(released).toEqual(["small"]);
    w.releaseRefs();
    w.releaseRefs();
    expect(released).toEqual(["small", "large"]);
    expect(w.holdsRefs).toBe(false);
  });

  it("references large payloads instead of copying them", () => {
    const payload = Buffer.alloc(4099, 7);
    const w = new XdrWriter();
    w.u32(1).opaqueRef(payload).u32(2);
    const chunks = w.chunks();
    expect(chunks).toContain(payload);
    expect(w.length).toBe(4 + 4 + 4099 + 1 + 4);
    const r = new XdrReader(w.toBuffer());
    expect(r.u32()).toBe(1);
    expect(r.opaqueVar(8192).equals(payload)).toBe(true);
    expect(r.u32()).toBe(2);
  });

  it("encodes optional values with their discriminant", () => {
    const w = new XdrWriter();
    w.optional(5, (x, v) => x.u32(v)).optional(null, (x, v: number) => x.u32(v));
    expect(w.toBuffer().toString("hex")).toBe("00000001" + "00000005" + "00000000");
  });
});

describe("XDR reader", () => {
  it("throws XdrError on truncated input instead of reading past the end", () => {
    expect(() => new XdrReader(Buffer.from([0, 0, 1])).u32()).toThrow(XdrError);
    const r = new XdrReader(Buffer.from("0000000a6869", "hex"));
    expect(() => r.opaqueVar(100)).toThrow(XdrError);
  });

  it("enforces limits on variable-length data", () => {
    const r = new XdrReader(Buffer.from("0000000a", "hex"));
    expect(() => r.opaqueVar(4)).toThrow(/exceeds limit/);
  });

  it("rejects booleans other than 0 and 1", () => {
    expect(() => new XdrReader(Buffer.from("00000002", "hex")).bool()).toThrow(XdrError);
  });

  it("saturates unsigned hypers above 2^53 - 1", () => {
    expect(new XdrReader(Buffer.from("ffffffffffffffff", "hex")).u64()).toBe(Number.MAX_SAFE_INTEGER);
    expect(new XdrReader(Buffer.from("001fffffffffffff", "hex")).u64()).toBe(Number.MAX_SAFE_INTEGER);
    expect(new XdrReader(Buffer.from("ffffffffffffffff", "hex")).u64big()).toBe(2n ** 64n - 1n);
  });

  it("returns opaque data as a view into the record", () => {
    const rec = Buffer.from("00000003616263ff", "hex");
    const view = new XdrReader(rec).opaqueVar(10);
    rec[4] = 0x7a;
    expect(view.toString()).toBe("zbc");
  });
});
