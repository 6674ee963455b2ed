import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isFsError } from "../../errors.js";
import type { ContentStore } from "../store.js";

/**
 * The one conformance suite every ContentStore backend must pass. Each test gets a fresh store
 * from `open` and closes it afterwards.
 */
export function runContentStoreConformance(name: string, open: () => Promise<ContentStore>): void {
  describe(`ContentStore conformance: ${name}`, () => {
    let store: ContentStore;
    let counter = 0;
    /** A fresh, valid id per call so tests never see each other's content. */
    const newId = (): string => `c${process.pid}_${Date.now().toString(36)}_${(counter++).toString(36)}`;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it("reads never-written content as empty", async () => {
      const id = newId();
      expect((await store.read(id, 0, 100)).length).toBe(0);
      expect(await store.size(id)).toBe(0);
    });

    it("round-trips a write", async () => {
      const id = newId();
      await store.write(id, 0, Buffer.from("hello, content"));
      expect((await store.read(id, 0, 100)).toString()).toBe("hello, content");
      expect(await store.size(id)).toBe(14);
    });

    it("overwrites the middle of existing content", async () => {
      const id = newId();
      await store.write(id, 0, Buffer.from("aaaaaaaaaa"));
      await store.write(id, 3, Buffer.from("XYZ"));
      expect((await store.read(id, 0, 10)).toString()).toBe("aaaXYZaaaa");
      expect(await store.size(id)).toBe(10);
    });

    it("reads holes as zeros", async () => {
      const id = newId();
      await store.write(id, 0, Buffer.from("abc"));
      await store.write(id, 3_000_000, Buffer.from("xyz"));
      const data = await store.read(id, 0, 3_000_003);
      expect(data.length).toBe(3_000_003);
      expect(data.subarray(0, 3).toString()).toBe("abc");
      expect(data.subarray(3, 3_000_000).every((b) => b === 0)).toBe(true);
      expect(data.subarray(3_000_000).toString()).toBe("xyz");
    });

    it("returns a short read at the end and nothing past it", async () => {
      const id = newId();
      await store.write(id, 0, Buffer.alloc(100, 7));
      const tail = await store.read(id, 50, 100);
      expect(tail.length).toBe(50);
      expect(tail.every((b) => b === 7)).toBe(true);
      expect((await store.read(id, 100, 10)).length).toBe(0);
      expect((await store.read(id, 5000, 10)).length).toBe(0);
    });

    it("handles a sparse write at 2^40 without allocating the hole", async () => {
      const id = newId();
      const at = 2 ** 40;
      const rssBefore = process.memoryUsage().rss;
      await store.write(id, at, Buffer.from("far away"));
      expect(await store.size(id)).toBe(at + 8);
      const around = await store.read(id, at - 4, 100);
      expect(around.length).toBe(12);
      expect(around.subarray(0, 4).every((b) => b === 0)).toBe(true);
      expect(around.subarray(4).toString()).toBe("far away");
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 << 20);
    });

    it("truncates down and up, the extension reading as zeros", async () => {
      const id = newId();
      await store.write(id, 0, Buffer.from("0123456789"));
      await store.truncate(id, 4);
      expect(await store.size(id)).toBe(4);
      expect((await store.read(id, 0, 100)).toString()).toBe("0123");
      await store.truncate(id, 8);
      expect(await store.size(id)).toBe(8);
      expect(await store.read(id, 0, 100)).toEqual(Buffer.from("0123\0\0\0\0"));
      // Bytes cut off earlier must not come back when the content grows again by a write.
      await store.write(id, 12, Buffer.from("!"));
      expect(await store.read(id, 0, 100)).toEqual(Buffer.from("0123\0\0\0\0\0\0\0\0!"));
    });

    it("truncates a large content across chunk boundaries", async () => {
      const id = newId();
      await store.write(id, 0, Buffer.alloc(3 << 20, 0xaa));
      await store.truncate(id, (1 << 20) + 5);
      await store.truncate(id, 3 << 20);
      const data = await store.read(id, 0, 3 << 20);
      expect(data.subarray(0, (1 << 20) + 5).every((b) => b === 0xaa)).toBe(true);
      expect(data.subarray((1 << 20) + 5).every((b) => b === 0)).toBe(true);
    });

    it("truncates never-written content as an empty file", async () => {
      const grown = newId();
      await store.truncate(grown, 5);
      expect(await store.size(grown)).toBe(5);
      expect(await store.read(grown, 0, 10)).toEqual(Buffer.alloc(5));
      const empty = newId();
      await store.truncate(empty, 0);
      expect(await store.size(empty)).toBe(0);
    });

    it("deletes content, and deleting missing content is not an error", async () => {
      const id = newId();
      await store.write(id, 0, Buffer.from("gone soon"));
      await store.delete(id);
      expect((await store.read(id, 0, 100)).length).toBe(0);
      expect(await store.size(id)).toBe(0);
      await store.delete(id);
      await store.delete(newId());
      // The id can be used again afterwards.
      await store.write(id, 2, Buffer.from("x"));
      expect(await store.read(id, 0, 10)).toEqual(Buffer.from("\0\0x"));
    });

    it("rejects invalid ids with FsError Invalid on every operation", async () => {
      const bad = ["../x", "a/b", "", "x".repeat(200), "..", "a\0b", "a.b", "C:\\x"];
      for (const id of bad) {
        const calls: Array<() => Promise<unknown>> = [
          () => store.read(id, 0, 1),
          () => store.write(id, 0, Buffer.from("x")),
          () => store.truncate(id, 0),
          () => store.size(id),
          () => store.sync(id),
          () => store.delete(id),
        ];
        for (const call of calls) {
          const err = await call().then(
            () => null,
            (e: unknown) => e,
          );
          expect(isFsError(err, "Invalid"), `id ${JSON.stringify(id)}`).toBe(true);
        }
      }
      // The longest valid id is accepted.
      const longest = "z".repeat(128);
      await store.write(longest, 0, Buffer.from("ok"));
      expect((await store.read(longest, 0, 2)).toString()).toBe("ok");
      await store.delete(longest);
    });

    it("rejects negative or fractional offsets with FsError Invalid", async () => {
      const id = newId();
      await expect(store.read(id, -1, 1)).rejects.toSatisfy((e) => isFsError(e, "Invalid"));
      await expect(store.write(id, 1.5, Buffer.from("x"))).rejects.toSatisfy((e) => isFsError(e, "Invalid"));
      await expect(store.truncate(id, -5)).rejects.toSatisfy((e) => isFsError(e, "Invalid"));
    });

    it("keeps ids that differ only in case apart", async () => {
      const lower = `case_${process.pid}_${counter++}_ab`;
      const upper = lower.replace("ab", "AB");
      await store.write(lower, 0, Buffer.from("lower"));
      await store.write(upper, 0, Buffer.from("UPPER"));
      expect((await store.read(lower, 0, 10)).toString()).toBe("lower");
      expect((await store.read(upper, 0, 10)).toString()).toBe("UPPER");
    });

    it("neither keeps the caller's write buffer nor shares the returned read buffer", async () => {
      const id = newId();
      const data = Buffer.from("original");
      await store.write(id, 0, data);
      data.fill(0x21);
      const first = await store.read(id, 0, 8);
      expect(first.toString()).toBe("original");
      first.fill(0x3f);
      expect((await store.read(id, 0, 8)).toString()).toBe("original");
    });

    it("reads into a caller's buffer, as a view of its start", async () => {
      const id = newId();
      await store.write(id, 0, Buffer.from("0123456789"));
      const into = Buffer.alloc(16, 0x2e);
      const got = await store.read(id, 2, 5, into);
      expect(got.toString()).toBe("23456");
      expect(got.buffer).toBe(into.buffer);
      expect(got.byteOffset).toBe(into.byteOffset);
      expect(into.toString()).toBe("23456...........");
      // A short read at the end is a shorter view; a buffer too small for the range is refused.
      expect((await store.read(id, 8, 5, into)).toString()).toBe("89");
      await expect(store.read(id, 0, 17, into)).rejects.toMatchObject({ code: "Invalid" });
    });

    it("handles concurrent writes to different ids", async () => {
      const ids = Array.from({ length: 20 }, () => newId());
      await Promise.all(
        ids.flatMap((id, i) =>
          Array.from({ length: 8 }, (_, k) => store.write(id, k * 4096, Buffer.alloc(4096, (i * 8 + k) & 0xff))),
        ),
      );
      for (const [i, id] of ids.entries()) {
        const data = await store.read(id, 0, 8 * 4096);
        expect(data.length).toBe(8 * 4096);
        for (let k = 0; k < 8; k++) {
          expect(data.subarray(k * 4096, (k + 1) * 4096).every((b) => b === ((i * 8 + k) & 0xff))).toBe(true);
        }
      }
    });

    it("round-trips 8 MiB of random data", async () => {
      const id = newId();
      const data = randomBytes(8 << 20);
      // Written in uneven pieces, out of order, read back in 1 MiB slices.
      const pieces: Array<[number, number]> = [];
      for (let at = 0; at < data.length; ) {
        const n = Math.min(data.length - at, 300_000 + (pieces.length % 7) * 50_000);
        pieces.push([at, n]);
        at += n;
      }
      pieces.reverse();
      await Promise.all(pieces.map(([at, n]) => store.write(id, at, data.subarray(at, at + n))));
      expect(await store.size(id)).toBe(data.length);
      const hash = createHash("sha256");
      for (let at = 0; at < data.length; at += 1 << 20) hash.update(await store.read(id, at, 1 << 20));
      expect(hash.digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    });

    it("syncs written, truncated and never-written content", async () => {
      const id = newId();
      await store.write(id, 0, Buffer.from("durable"));
      await store.sync(id);
      await store.truncate(id, 3);
      await store.sync(id);
      await store.sync(newId());
      expect((await store.read(id, 0, 10)).toString()).toBe("dur");
    });

    it("reports space as non-negative numbers", async () => {
      const { used, available } = await store.space();
      expect(used).toBeGreaterThanOrEqual(0);
      expect(available).toBeGreaterThan(0);
    });
  });
}
