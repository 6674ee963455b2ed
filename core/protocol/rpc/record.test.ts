import { describe, expect, it } from "vitest";
import { RecordAssembler, RecordTooLargeError, recordMark } from "./record.js";

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
