import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFsError } from "../errors.js";
import { silentLogger } from "../util/logger.js";
import { ContentService } from "./service.js";
import type { ContentStore } from "./store.js";
import { FsContentStore } from "./store/fs/index.js";
import { MemoryContentStore } from "./store/memory/index.js";

let base: string;
let roots = 0;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "dittofs-content-service-"));
});
afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
const b = (s: string): Buffer => Buffer.from(s);

interface Backend {
  name: string;
  open: () => Promise<ContentStore>;
}

const backends: Backend[] = [
  { name: "memory", open: async () => new MemoryContentStore() },
  { name: "fs", open: () => FsContentStore.open({ root: path.join(base, `root${roots++}`) }) },
];

for (const backend of backends) {
  describe(`ContentService over the ${backend.name} store`, () => {
    async function setup(maxDirtyBytes = 64 << 20): Promise<{ service: ContentService; store: ContentStore }> {
      const store = await backend.open();
      const service = new ContentService(silentLogger, { maxDirtyBytes });
      service.registerShare("/export", store);
      return { service, store };
    }

    it("shows an unstable write to reads before commit, and puts it in the store on commit", async () => {
      const { service, store } = await setup();
      await service.write("/export", "file1", 0, b("unstable bytes"), "unstable");
      expect(await service.read("/export", "file1", 0, 100)).toEqual(b("unstable bytes"));
      expect(await store.size("file1")).toBe(0);
      await service.commit("/export", "file1");
      expect(await store.read("file1", 0, 100)).toEqual(b("unstable bytes"));
      await store.close();
    });

    it("puts file_sync and data_sync writes in the store before resolving", async () => {
      const { service, store } = await setup();
      await service.write("/export", "sync1", 0, b("file sync"), "file_sync");
      expect(await store.read("sync1", 0, 100)).toEqual(b("file sync"));
      await service.write("/export", "sync1", 4, b("DATA"), "data_sync");
      expect(await store.read("sync1", 0, 100)).toEqual(b("fileDATAc"));
      await store.close();
    });

    it("truncates with cached data", async () => {
      const { service, store } = await setup();
      await service.write("/export", "t", 0, b("0123456789"), "unstable");
      await service.write("/export", "t", 50, b("tail"), "unstable");
      await service.truncate("/export", "t", 4);
      expect(await service.read("/export", "t", 0, 100)).toEqual(b("0123"));
      await service.truncate("/export", "t", 6);
      expect(await service.read("/export", "t", 0, 100)).toEqual(b("0123\0\0"));
      await service.commit("/export", "t");
      expect(await store.read("t", 0, 100)).toEqual(b("0123\0\0"));
      await store.close();
    });

    it("deletes with cached data", async () => {
      const { service, store } = await setup();
      await service.write("/export", "d", 0, b("cached"), "unstable");
      await service.write("/export", "d", 1 << 20, Buffer.alloc(1 << 20, 1), "unstable");
      await service.delete("/export", "d");
      expect((await service.read("/export", "d", 0, 100)).length).toBe(0);
      await service.commit("/export", "d");
      await service.flushAll();
      expect(await store.size("d")).toBe(0);
      await store.close();
    });

    it("finishes many concurrent writers through a small budget with every byte right", async () => {
      const { service, store } = await setup(512 << 10);
      const writers = 12;
      const files = Array.from({ length: writers }, () => randomBytes(1 << 20));
      await Promise.all(
        files.map(async (data, w) => {
          // 16 KiB pieces in a scattered order: coalescing helps only partly, the budget must hold.
          const order = Array.from({ length: data.length / 16384 }, (_, k) => (k * 7) % (data.length / 16384));
          for (const k of order) {
            await service.write("/export", `w${w}`, k * 16384, data.subarray(k * 16384, (k + 1) * 16384), "unstable");
          }
        }),
      );
      for (const [w, data] of files.entries()) {
        expect(sha256(await service.read("/export", `w${w}`, 0, data.length))).toBe(sha256(data));
      }
      await service.flushAll();
      for (const [w, data] of files.entries()) {
        expect(sha256(await store.read(`w${w}`, 0, data.length))).toBe(sha256(data));
      }
      await store.close();
    });

    it("writes 64 MiB sequentially in 1 MiB chunks and reads it back", async () => {
      const { service, store } = await setup();
      const chunk = 1 << 20;
      const hashIn = createHash("sha256");
      // One reusable buffer, like a network record: the service must not keep a reference to it.
      const record = Buffer.allocUnsafe(chunk);
      for (let k = 0; k < 64; k++) {
        record.fill(k);
        record.writeUInt32BE(k * 2654435761 >>> 0, 100);
        hashIn.update(record);
        await service.write("/export", "big", k * chunk, record, "unstable");
      }
      await service.commit("/export", "big");
      const hashOut = createHash("sha256");
      for (let k = 0; k < 64; k++) hashOut.update(await service.read("/export", "big", k * chunk, chunk));
      expect(hashOut.digest("hex")).toBe(hashIn.digest("hex"));
      expect(await store.size("big")).toBe(64 * chunk);
      await store.close();
    }, 60_000);

    it("writes 16 MiB in 64 KiB chunks (a small-wsize client) and reads it back", async () => {
      const { service, store } = await setup(8 << 20);
      const data = randomBytes(16 << 20);
      for (let at = 0; at < data.length; at += 65536) {
        await service.write("/export", "small-wsize", at, data.subarray(at, at + 65536), "unstable");
      }
      expect(sha256(await service.read("/export", "small-wsize", 0, data.length))).toBe(sha256(data));
      await service.commit("/export", "small-wsize");
      expect(sha256(await store.read("small-wsize", 0, data.length))).toBe(sha256(data));
      await store.close();
    }, 60_000);

    it("reports space from the store", async () => {
      const { service, store } = await setup();
      const space = await service.space("/export");
      expect(space.available).toBeGreaterThan(0);
      expect(space.used).toBeGreaterThanOrEqual(0);
      await store.close();
    });

    it("refuses unknown shares, bad ids and bad offsets with FsErrors", async () => {
      const { service, store } = await setup();
      const code = (p: Promise<unknown>): Promise<string | undefined> =>
        p.then(
          () => undefined,
          (e: unknown) => (isFsError(e) ? e.code : `not an FsError: ${String(e)}`),
        );
      expect(await code(service.read("/nope", "f", 0, 1))).toBe("Stale");
      expect(await code(service.write("/nope", "f", 0, b("x"), "unstable"))).toBe("Stale");
      expect(await code(service.commit("/nope", "f"))).toBe("Stale");
      expect(await code(service.space("/nope"))).toBe("Stale");
      expect(await code(service.write("/export", "../x", 0, b("x"), "unstable"))).toBe("Invalid");
      expect(await code(service.read("/export", "a/b", 0, 1))).toBe("Invalid");
      expect(await code(service.truncate("/export", "f", -1))).toBe("Invalid");
      expect(await code(service.write("/export", "f", -1, b("x"), "unstable"))).toBe("Invalid");
      expect(await code(service.write("/export", "f", Number.MAX_SAFE_INTEGER, b("xy"), "unstable"))).toBe(
        "FileTooBig",
      );
      await store.close();
    });

    it("flushes on unregisterShare and then refuses the share", async () => {
      const { service, store } = await setup();
      await service.write("/export", "u", 0, b("flushed on unregister"), "unstable");
      await service.unregisterShare("/export");
      expect(await store.read("u", 0, 100)).toEqual(b("flushed on unregister"));
      await expect(service.read("/export", "u", 0, 1)).rejects.toSatisfy((e) => isFsError(e, "Stale"));
      await store.close();
    });
  });
}

describe("ContentService durability and failures", () => {
  it("flushAll leaves every acknowledged write on disk for the next process", async () => {
    const root = path.join(base, "durable");
    const store = await FsContentStore.open({ root });
    const service = new ContentService(silentLogger, { maxDirtyBytes: 64 << 20 });
    service.registerShare("/export", store);
    const files = Array.from({ length: 10 }, (_, i) => randomBytes(10_000 + i * 100_000));
    for (const [i, data] of files.entries()) await service.write("/export", `keep${i}`, 0, data, "unstable");
    await service.flushAll();
    await store.close();

    const reopened = await FsContentStore.open({ root });
    for (const [i, data] of files.entries()) {
      expect(sha256(await reopened.read(`keep${i}`, 0, data.length + 10))).toBe(sha256(data));
    }
    await reopened.close();
  });

  it("writes idle unstable writes to disk with no COMMIT, where another opener of the store sees them", async () => {
    const root = path.join(base, `root${roots++}`);
    const store = await FsContentStore.open({ root });
    const service = new ContentService(silentLogger, { maxDirtyBytes: 64 << 20, flushAfterMs: 100, flushIntervalMs: 10 });
    service.registerShare("/export", store);
    const data = randomBytes(100_000);
    await service.write("/export", "idle", 0, data, "unstable");
    const onDisk = await FsContentStore.open({ root });
    expect(await onDisk.size("idle")).toBe(0);
    const deadline = Date.now() + 5000;
    while ((await onDisk.size("idle")) < data.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(sha256(await onDisk.read("idle", 0, data.length + 10))).toBe(sha256(data));
    await service.flushAll();
    await onDisk.close();
    await store.close();
  });

  it("reports a store that is full on commit, keeps the data, and succeeds once there is room", async () => {
    const store = new MemoryContentStore({ capacityBytes: 64 << 10 });
    const service = new ContentService(silentLogger, { maxDirtyBytes: 1 << 20 });
    service.registerShare("/export", store);
    await store.write("filler", 0, Buffer.alloc(60 << 10));
    await service.write("/export", "late", 0, Buffer.alloc(16 << 10, 7), "unstable");
    await expect(service.commit("/export", "late")).rejects.toSatisfy((e) => isFsError(e, "NoSpace"));
    expect((await service.read("/export", "late", 0, 16 << 10)).every((x) => x === 7)).toBe(true);
    await expect(service.write("/export", "sync", 0, Buffer.alloc(16 << 10), "file_sync")).rejects.toSatisfy((e) =>
      isFsError(e, "NoSpace"),
    );
    await store.delete("filler");
    await service.commit("/export", "late");
    expect((await store.read("late", 0, 16 << 10)).every((x) => x === 7)).toBe(true);
  });

  it("shares one cache between shares that use the same store", async () => {
    const store = new MemoryContentStore();
    const service = new ContentService(silentLogger, { maxDirtyBytes: 1 << 20 });
    service.registerShare("/a", store);
    service.registerShare("/b", store);
    await service.write("/a", "shared", 0, b("via a"), "unstable");
    expect(await service.read("/b", "shared", 0, 10)).toEqual(b("via a"));
    expect(() => service.registerShare("/a", new MemoryContentStore())).toThrow(/already/);
  });
});

describe("ContentService read-ahead and files changed behind its back", () => {
  /** Reads 2 MiB sequentially in 256 KiB READs, changes the bytes in the store directly, then reads on. */
  async function readOnAfterChange(store: ContentStore & { writesInPlace?: boolean }): Promise<Buffer> {
    const service = new ContentService(silentLogger, { maxDirtyBytes: 64 << 20 });
    service.registerShare("/export", store);
    const piece = 256 << 10;
    await store.write("f", 0, Buffer.alloc(4 << 20, 1));
    for (let at = 0; at < 2 << 20; at += piece) await service.readExchange("/export", "f", at, piece, Buffer.alloc(piece));
    await store.write("f", 0, Buffer.alloc(4 << 20, 2));
    const { data } = await service.readExchange("/export", "f", 2 << 20, piece, Buffer.alloc(piece));
    return Buffer.from(data);
  }

  it("reads ahead on a store of its own, and not on one other programs write (writesInPlace)", async () => {
    // The contrast shows the test can fail: read-ahead hands out the bytes read before the change.
    expect((await readOnAfterChange(new MemoryContentStore()))[0]).toBe(1);
    const inPlace = Object.assign(new MemoryContentStore(), { writesInPlace: true });
    expect((await readOnAfterChange(inPlace)).equals(Buffer.alloc(256 << 10, 2))).toBe(true);
  });
});
