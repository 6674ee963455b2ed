import { describe, expect, it } from "vitest";
import { RecordAssembler, RecordTooLargeError, TooManyFragmentsError, recordMark } from "./record.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

function drain(assembler: RecordAssembler): Buffer[] {
  const records: Buffer[] = [];
  for (let r = assembler.next(); r; r = assembler.next()) records.push(r);
  return records;
}

describe("recordMark", () => {
  it("sets the last-fragment bit over the length", () => {
    expect(recordMark(0).toString("hex")).toBe("80000000");
    expect(recordMark(0x1234).toString("hex")).toBe("80001234");
    expect(recordMark(0x7fffffff).toString("hex")).toBe("ffffffff");
    expect(() => recordMark(0x80000000)).toThrow(RangeError);
  });
});

describe("RecordAssembler", () => {
  it("returns a record inside one chunk as a view of that chunk, not a copy", () => {
    const chunk = hex("80000004 01020304 80000002 aabb");
    const a = new RecordAssembler(1024);
    a.push(chunk);
    const [first, second, ...rest] = drain(a);
    expect(rest).toHaveLength(0);
    expect(first!.toString("hex")).toBe("01020304");
    expect(second!.toString("hex")).toBe("aabb");
    expect(first!.buffer).toBe(chunk.buffer);
    expect(first!.byteOffset).toBe(chunk.byteOffset + 4);
    expect(a.partial).toBe(false);
  });

  it("joins the fragments of a multi-fragment record", () => {
    const a = new RecordAssembler(1024);
    a.push(hex("00000002 0102 00000000 00000003 030405 80000001 06"));
    expect(drain(a).map((r) => r.toString("hex"))).toEqual(["010203040506"]);
  });

  it("assembles a record delivered one byte at a time", () => {
    const stream = hex("00000003 aabbcc 80000002 ddee 80000001 ff");
    const a = new RecordAssembler(1024);
    const records: string[] = [];
    for (const byte of stream) {
      a.push(Buffer.from([byte]));
      records.push(...drain(a).map((r) => r.toString("hex")));
    }
    expect(records).toEqual(["aabbccddee", "ff"]);
    expect(a.partial).toBe(false);
  });

  it("assembles a header and body split across chunks", () => {
    const a = new RecordAssembler(1024);
    a.push(hex("8000"));
    expect(a.next()).toBeNull();
    a.push(hex("0005 0102"));
    expect(a.next()).toBeNull();
    expect(a.partial).toBe(true);
    a.push(hex("030405 800000"));
    expect(a.next()?.toString("hex")).toBe("0102030405");
    expect(a.next()).toBeNull();
    a.push(hex("00"));
    expect(a.next()?.length).toBe(0);
  });

  it("throws RecordTooLargeError as soon as a header announces too much", () => {
    const a = new RecordAssembler(8);
    a.push(hex("80000009"));
    expect(() => a.next()).toThrow(RecordTooLargeError);
  });

  it("counts every fragment of a record against the limit", () => {
    const a = new RecordAssembler(8);
    a.push(hex("00000005 0102030405"));
    expect(a.next()).toBeNull();
    a.push(hex("80000004"));
    expect(() => a.next()).toThrow(/at least 9 bytes/);
  });

  it("accepts a record of exactly the limit", () => {
    const a = new RecordAssembler(4);
    a.push(hex("00000002 0102 80000002 0304"));
    expect(a.next()?.toString("hex")).toBe("01020304");
  });
});

describe("RecordAssembler under hostile fragmenting", () => {
  /** `payload` as fragments of `size` bytes, the last one flagged. */
  function fragmented(payload: Buffer, size: number): Buffer[] {
    const out: Buffer[] = [];
    for (let at = 0; at < payload.length; at += size) {
      const piece = payload.subarray(at, at + size);
      const mark = Buffer.alloc(4);
      mark.writeUInt32BE(((at + size >= payload.length ? 0x8000_0000 : 0) | piece.length) >>> 0);
      out.push(mark, piece);
    }
    return out;
  }

  it("holds about one record's bytes while a record arrives in many tiny fragments", () => {
    const payload = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 253));
    const a = new RecordAssembler(1024 * 1024, Buffer.allocUnsafe, 100_000);
    let most = 0;
    let record: Buffer | null = null;
    for (const piece of fragmented(payload, 16)) {
      a.push(Buffer.from(piece)); // each fragment and header as its own socket chunk
      record = a.next() ?? record;
      most = Math.max(most, a.heldBytes);
    }
    expect(record?.equals(payload)).toBe(true);
    expect(most).toBeLessThanOrEqual(2 * payload.length);
    expect(a.heldBytes).toBe(0);
    expect(a.partial).toBe(false);
  });

  it("copies a record trickling in byte by byte into one buffer of its size", () => {
    const payload = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 249));
    const a = new RecordAssembler(1024 * 1024);
    const stream = Buffer.concat([recordMark(payload.length), payload]);
    let record: Buffer | null = null;
    for (const byte of stream) {
      a.push(Buffer.from([byte]));
      record = a.next() ?? record;
      // Chunks are copied out as they come, not kept: a few bytes of header at most wait.
      expect(a.heldBytes).toBeLessThanOrEqual(payload.length + 4);
    }
    expect(record?.equals(payload)).toBe(true);
  });

  it("throws TooManyFragmentsError past the fragment cap, empty fragments included", () => {
    const tiny = new RecordAssembler(1024 * 1024, Buffer.allocUnsafe, 8);
    for (const piece of fragmented(Buffer.alloc(9, 1), 1)) tiny.push(piece);
    expect(() => tiny.next()).toThrow(TooManyFragmentsError);

    const empty = new RecordAssembler(1024 * 1024, Buffer.allocUnsafe, 8);
    empty.push(Buffer.alloc(4 * 20)); // twenty empty non-final fragments
    expect(() => empty.next()).toThrow(TooManyFragmentsError);
  });

  it("accepts a record of exactly the fragment cap, then counts afresh for the next", () => {
    const a = new RecordAssembler(1024, Buffer.allocUnsafe, 4);
    for (let i = 0; i < 2; i++) for (const piece of fragmented(hex("01020304"), 1)) a.push(piece);
    expect(drain(a).map((r) => r.toString("hex"))).toEqual(["01020304", "01020304"]);
  });

  it("hands back the buffer `allocate` gave for a record spanning chunks", () => {
    const given: Buffer[] = [];
    const a = new RecordAssembler(1024, (n) => {
      const b = Buffer.alloc(n);
      given.push(b);
      return b;
    });
    a.push(hex("80000004 0102"));
    expect(a.next()).toBeNull();
    a.push(hex("0304"));
    const record = a.next();
    expect(record?.toString("hex")).toBe("01020304");
    expect(given).toHaveLength(1);
    expect(record).toBe(given[0]);
  });
});
