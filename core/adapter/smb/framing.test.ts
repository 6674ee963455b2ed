import { describe, expect, it } from "vitest";
import { FrameAssembler, frameHeader, SmbFramingError } from "./framing.js";

const MAX = 1024 * 1024 + 64 * 1024;

function framed(...messages: Buffer[]): Buffer {
  return Buffer.concat(messages.flatMap((m) => [frameHeader(m.length), m]));
}

function drain(assembler: FrameAssembler): Buffer[] {
  const out: Buffer[] = [];
  for (let m = assembler.next(); m; m = assembler.next()) out.push(Buffer.from(m));
  return out;
}

describe("FrameAssembler (MS-SMB2 §2.1 direct TCP)", () => {
  it("assembles messages split across chunks, and several in one chunk", () => {
    const a = Buffer.alloc(100, 1);
    const b = Buffer.alloc(70_000, 2);
    const c = Buffer.alloc(3, 3);
    const bytes = framed(a, b, c);
    for (const step of [1, 3, 4, 7, 65_536, bytes.length]) {
      const assembler = new FrameAssembler(MAX);
      const got: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += step) {
        assembler.push(bytes.subarray(at, at + step));
        got.push(...drain(assembler));
      }
      expect(got, `chunks of ${step}`).toEqual([a, b, c]);
      expect(assembler.bufferedBytes).toBe(0);
    }
  });

  it("holds about the bytes that arrived, not the length a header announces", () => {
    const assembler = new FrameAssembler(MAX);
    assembler.push(Buffer.concat([frameHeader(MAX), Buffer.alloc(10)]));
    expect(assembler.next()).toBeUndefined();
    expect(assembler.bufferedBytes).toBeLessThanOrEqual(64 * 1024);
    assembler.push(Buffer.alloc(MAX - 10, 7));
    expect(assembler.bufferedBytes).toBe(MAX);
    expect(assembler.next()?.length).toBe(MAX);
    expect(assembler.bufferedBytes).toBe(0);
  });

  it("hands out a message that is most of its chunk without a copy, and copies small ones out of a chunk", () => {
    const big = Buffer.alloc(60_000, 5);
    const small = Buffer.alloc(200, 6);
    const chunk = framed(big, small);
    const assembler = new FrameAssembler(MAX);
    assembler.push(chunk);
    const [gotBig, gotSmall] = [assembler.next()!, assembler.next()!];
    expect(gotBig).toEqual(big);
    expect(gotSmall).toEqual(small);
    // A view of the big one; the small one must not keep the 60 KB chunk alive (a pending request holds its message).
    expect(gotBig.buffer).toBe(chunk.buffer);
    expect(gotSmall.buffer).not.toBe(chunk.buffer);
  });

  it("refuses a zero length, a length over the limit and a frame type other than a session message", () => {
    expect(() => new FrameAssembler(MAX).push(frameHeader(0))).toThrow(SmbFramingError);
    expect(() => new FrameAssembler(MAX).push(frameHeader(MAX + 1))).toThrow(SmbFramingError);
    const keepAlive = Buffer.from([0x85, 0, 0, 0]);
    expect(() => new FrameAssembler(MAX).push(keepAlive)).toThrow(SmbFramingError);
  });
});
