import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReadAhead } from "../cache/read-ahead.js";
import { silentLogger } from "../util/logger.js";
import { ContentService } from "./service.js";
import type { ContentStore } from "./store.js";
import { FsContentStore } from "./store/fs/index.js";

const MiB = 1 << 20;
const SHARE = "/export";

let base: string;
let roots = 0;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "dittofs-read-ahead-"));
});
afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

/** The real fs store, counting the reads it serves; writes can be held at a gate. */
class CountingStore implements ContentStore {
  readonly kind = "fs";
  readonly reads: Array<{ id: string; offset: number; length: number }> = [];
  writeGate: Promise<void> | null = null;

  constructor(private readonly inner: FsContentStore) {}

  read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    this.reads.push({ id, offset, length });
    return this.inner.read(id, offset, length, into);
  }
  async write(id: string, offset: number, data: Buffer): Promise<void> {
    if (this.writeGate) await this.writeGate;
    return this.inner.write(id, offset, data);
  }
  truncate(id: string, size: number): Promise<void> {
    return this.inner.truncate(id, size);
  }
  size(id: string): Promise<number> {
    return this.inner.size(id);
  }
  sync(id: string): Promise<void> {
    return this.inner.sync(id);
  }
  delete(id: string): Promise<void> {
    return this.inner.delete(id);
  }
  space(): Promise<{ used: number; available: number }> {
    return this.inner.space();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

async function openStore(): Promise<CountingStore> {
  return new CountingStore(await FsContentStore.open({ root: path.join(base, `root${roots++}`) }));
}

async function setup(fileBytes = 8 * MiB): Promise<{ service: ContentService; store: CountingStore; content: Buffer }> {
  const store = await openStore();
  const service = new ContentService(silentLogger, { maxDirtyBytes: 64 << 20 });
  service.registerShare(SHARE, store);
  const content = randomBytes(fileBytes);
  await store.write("file", 0, content);
  return { service, store, content };
}

/** A READ as the NFS adapter does it: one 1 MiB buffer per request, the returned one owned afterwards. */
async function readChunk(service: ContentService, offset: number, id = "file"): Promise<{ data: Buffer; exchanged: boolean }> {
  const into = Buffer.allocUnsafeSlow(MiB);
  const { data, buffer } = await service.readExchange(SHARE, id, offset, MiB, into);
  expect(buffer.length).toBe(MiB);
  // The bytes are in the buffer the caller now owns (an empty result may be a buffer of its own).
  if (data.length > 0) expect(data.buffer === buffer.buffer && data.byteOffset === buffer.byteOffset).toBe(true);
  return { data: Buffer.from(data), exchanged: buffer !== into };
}

/** Lets prefetches started by the last read reach the store and finish. */
async function settle(store: CountingStore, reads: number): Promise<void> {
  for (let i = 0; i < 200 && store.reads.length < reads; i++) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 20));
}

describe("read-ahead over the fs store", () => {
  it("serves a sequential read from the prefetched buffer and reads each range from the store once", async () => {
    const { service, store, content } = await setup();
    let exchanged = 0;
    for (let offset = 0; offset < 8 * MiB; offset += MiB) {
      const got = await readChunk(service, offset);
      expect(got.data.equals(content.subarray(offset, offset + MiB))).toBe(true);
      if (got.exchanged) exchanged++;
    }
    // The first two reads establish the stream; every later one is a prefetch hit.
    expect(service.readAheadStats().hits).toBe(6);
    expect(exchanged).toBe(6);
    const storeOffsets = store.reads.map((r) => r.offset);
    // Ranges 0..7 MiB once each, plus the prefetch just past the end.
    expect(storeOffsets.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => n * MiB));
    await store.close();
  });

  it("does not prefetch for random reads", async () => {
    const { service, store, content } = await setup();
    for (const n of [5, 1, 7, 3, 0, 6]) {
      const got = await readChunk(service, n * MiB);
      expect(got.data.equals(content.subarray(n * MiB, (n + 1) * MiB))).toBe(true);
      expect(got.exchanged).toBe(false);
    }
    expect(service.readAheadStats()).toEqual({ started: 0, hits: 0, buffers: 0 });
    expect(store.reads).toHaveLength(6);
    await store.close();
  });

  it("shows an unstable write made between sequential reads", async () => {
    const { service, store, content } = await setup();
    await readChunk(service, 0);
    await readChunk(service, MiB); // starts the prefetch of [2 MiB, 3 MiB)
    await settle(store, 3);
    await service.write(SHARE, "file", 2 * MiB + 10, Buffer.from("fresh bytes"), "unstable");
    const got = await readChunk(service, 2 * MiB);
    const expected = Buffer.from(content.subarray(2 * MiB, 3 * MiB));
    Buffer.from("fresh bytes").copy(expected, 10);
    expect(got.data.equals(expected)).toBe(true);
    expect(service.readAheadStats().hits).toBe(0);
    await store.close();
  });

  it("does not serve a prefetch that started while a write to the store was in flight", async () => {
    const { service, store, content } = await setup();
    let open!: () => void;
    store.writeGate = new Promise((resolve) => (open = resolve));
    const newer = randomBytes(MiB);
    const writing = service.write(SHARE, "file", 3 * MiB, newer, "file_sync");
    await readChunk(service, MiB);
    // Sequential: prefetches [3 MiB, 4 MiB) from the store while the write waits at the gate.
    await readChunk(service, 2 * MiB);
    await settle(store, 3);
    expect(service.readAheadStats()).toMatchObject({ started: 1, buffers: 1 });
    open();
    await writing;
    const got = await readChunk(service, 3 * MiB);
    expect(got.data.equals(newer)).toBe(true);
    expect(got.data.equals(content.subarray(3 * MiB, 4 * MiB))).toBe(false);
    expect(service.readAheadStats().hits).toBe(0);
    await store.close();
  });

  it("drops prefetched data on truncate", async () => {
    const { service, store } = await setup();
    await readChunk(service, 0);
    await readChunk(service, MiB);
    await settle(store, 3);
    await service.truncate(SHARE, "file", 2 * MiB);
    await service.truncate(SHARE, "file", 3 * MiB);
    const got = await readChunk(service, 2 * MiB);
    expect(got.data.equals(Buffer.alloc(MiB))).toBe(true);
    expect(service.readAheadStats()).toMatchObject({ hits: 0, buffers: 0 });
    await store.close();
  });

  it("drops prefetched data on delete", async () => {
    const { service, store } = await setup();
    await readChunk(service, 0);
    await readChunk(service, MiB);
    await settle(store, 3);
    expect(service.readAheadStats().buffers).toBe(1);
    await service.delete(SHARE, "file");
    expect(service.readAheadStats().buffers).toBe(0);
    const got = await readChunk(service, 2 * MiB);
    expect(got.data.length).toBe(0);
    await store.close();
  });

  it("holds a bounded number of prefetch buffers over many sequential streams", async () => {
    const { service, store, content } = await setup();
    const ids = Array.from({ length: 10 }, (_, i) => `copy${i}`);
    for (const id of ids) await store.write(id, 0, content);
    for (let offset = 0; offset < 4 * MiB; offset += MiB) {
      for (const id of ids) {
        const got = await readChunk(service, offset, id);
        expect(got.data.equals(content.subarray(offset, offset + MiB))).toBe(true);
        expect(service.readAheadStats().buffers).toBeLessThanOrEqual(4);
      }
    }
    expect(service.readAheadStats().started).toBeGreaterThan(0);
    await store.close();
  });
});

describe("ReadAhead", () => {
  it("drops a prefetched buffer nobody asks for", async () => {
    const store = await openStore();
    await store.write("idle", 0, randomBytes(4 * MiB));
    const readAhead = new ReadAhead((s, id, offset, length, into) => s.read(id, offset, length, into), { idleMs: 20 });
    await readAhead.read(store, "idle", 0, MiB, Buffer.allocUnsafeSlow(MiB));
    await readAhead.read(store, "idle", MiB, MiB, Buffer.allocUnsafeSlow(MiB));
    expect(readAhead.stats().buffers).toBe(1);
    for (let i = 0; i < 100 && readAhead.stats().buffers > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(readAhead.stats().buffers).toBe(0);
    // The stream itself is remembered: continuing it still works (as a miss that prefetches again).
    const { data } = await readAhead.read(store, "idle", 2 * MiB, MiB, Buffer.allocUnsafeSlow(MiB));
    expect(data.length).toBe(MiB);
    expect(readAhead.stats()).toMatchObject({ hits: 0, started: 2 });
    await store.close();
  });
});
