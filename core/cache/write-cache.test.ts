import { createHash, randomBytes } from "node:crypto";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { MemoryContentStore } from "../content/store/memory/index.js";
import { fsError, isFsError } from "../errors.js";
import { silentLogger } from "../util/logger.js";
import { WriteCache } from "./write-cache.js";

/**
 * The real memory store, instrumented: it records the writes and syncs it receives, can hold
 * writes until released (to observe what happens while a write-back is in flight) and can
 * fail the writes of chosen ids (a store that is full for them).
 */
class ObservedStore extends MemoryContentStore {
  readonly writes: Array<{ id: string; offset: number; length: number }> = [];
  readonly syncs: string[] = [];
  readonly failing = new Set<string>();
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;
  private gateNextOnly = false;
  private failNext = false;

  /** The next write fails with NoSpace (after its gate, if any). */
  failNextWrite(): void {
    this.failNext = true;
  }

  /** Every write from now on waits for release(). */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
    this.gateNextOnly = false;
  }

  /** Only the next write waits for release(). */
  holdNext(): void {
    this.hold();
    this.gateNextOnly = true;
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }

  override async write(id: string, offset: number, data: Buffer): Promise<void> {
    this.writes.push({ id, offset, length: data.length });
    const gate = this.gate;
    if (this.gateNextOnly) this.gate = null;
    const fail = this.failNext;
    this.failNext = false;
    if (gate) await gate;
    if (fail || this.failing.has(id)) throw fsError("NoSpace", `no space for ${id}`);
    return super.write(id, offset, data);
  }

  private readGate: Promise<void> | null = null;
  private openReadGate: (() => void) | null = null;

  /** Reads take their bytes at once but return them only on releaseReads(): a slow read. */
  holdReads(): void {
    this.readGate = new Promise((resolve) => (this.openReadGate = resolve));
  }

  releaseReads(): void {
    this.openReadGate?.();
    this.readGate = null;
  }

  override async read(id: string, offset: number, length: number): Promise<Buffer> {
    const data = await super.read(id, offset, length);
    if (this.readGate) await this.readGate;
    return data;
  }

  override async sync(id: string): Promise<void> {
    this.syncs.push(id);
    return super.sync(id);
  }
}

const b = (s: string): Buffer => Buffer.from(s);
const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a promise is still pending after the event loop had time to settle it. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await tick();
  return !settled;
}

function captureLogs(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: "warn" }, { write: (line: string) => lines.push(line) }), lines };
}

describe("WriteCache", () => {
  it("keeps a small write cached, readable, and in the store only after commit", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    await cache.write(store, "f", 0, b("hello"), false);
    expect(store.writes).toEqual([]);
    expect(await store.size("f")).toBe(0);
    expect(await cache.read(store, "f", 0, 10)).toEqual(b("hello"));
    await cache.commit(store, "f");
    expect(await store.read("f", 0, 10)).toEqual(b("hello"));
    expect(store.syncs).toEqual(["f"]);
    expect(cache.stats()).toEqual({ dirtyBytes: 0, writingBackBytes: 0, dirtyFiles: 0, trackedFiles: 0 });
  });

  it("copies a cached write, so the caller may reuse its buffer at once", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    const data = b("network record");
    await cache.write(store, "f", 0, data, false);
    data.fill(0);
    expect(await cache.read(store, "f", 0, 14)).toEqual(b("network record"));
  });

  it("turns a stream of small writes into extent-sized store writes", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 64 << 20 });
    expect(cache.extentSize).toBe(1 << 20);
    const store = new ObservedStore();
    const data = randomBytes(4 << 20);
    for (let at = 0; at < data.length; at += 4096) {
      await cache.write(store, "s", at, data.subarray(at, at + 4096), false);
    }
    await cache.commit(store, "s");
    expect(store.writes.map((w) => [w.offset, w.length])).toEqual([
      [0, 1 << 20],
      [1 << 20, 1 << 20],
      [2 << 20, 1 << 20],
      [3 << 20, 1 << 20],
    ]);
    expect((await store.read("s", 0, data.length)).equals(data)).toBe(true);
  });

  it("starts the write-back of an extent-sized write at once, from its own copy", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 64 << 20 });
    const store = new ObservedStore();
    const record = randomBytes(1 << 20);
    const original = Buffer.from(record);
    await cache.write(store, "big", 0, record, false);
    expect(store.writes).toEqual([{ id: "big", offset: 0, length: 1 << 20 }]);
    record.fill(0);
    await cache.commit(store, "big");
    expect((await store.read("big", 0, 1 << 20)).equals(original)).toBe(true);
  });

  it("writes what is too large for the budget straight to the store without holding it", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    store.hold();
    const write = cache.write(store, "big", 0, Buffer.alloc(512 << 10, 1), false);
    expect(await isPending(write)).toBe(true);
    expect(cache.stats().dirtyBytes + cache.stats().writingBackBytes).toBe(0);
    store.release();
    await write;
    expect(await store.size("big")).toBe(512 << 10);
  });

  it("overlays cached bytes on the store's, past the store's end too", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    await store.write("f", 0, b("0123456789"));
    await cache.write(store, "f", 3, b("abc"), false);
    expect(await cache.read(store, "f", 0, 10)).toEqual(b("012abc6789"));
    await cache.write(store, "f", 20, b("zz"), false);
    expect(await cache.read(store, "f", 0, 100)).toEqual(Buffer.concat([b("012abc6789"), Buffer.alloc(10), b("zz")]));
    expect(await cache.read(store, "f", 4, 3)).toEqual(b("bc6"));
  });

  it("overlays into a caller's buffer, zero-filling up to cached bytes past the store's end", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    await store.write("f", 0, b("0123456789"));
    await cache.write(store, "f", 3, b("abc"), false);
    await cache.write(store, "f", 14, b("zz"), false);
    const into = Buffer.alloc(32, 0x2e);
    const got = await cache.read(store, "f", 0, 32, into);
    expect(got).toEqual(Buffer.concat([b("012abc6789"), Buffer.alloc(4), b("zz")]));
    expect(got.buffer).toBe(into.buffer);
    expect(got.byteOffset).toBe(into.byteOffset);
    // One cached extent covering the whole range fills `into` without asking the store.
    const inside = await cache.read(store, "f", 4, 2, into);
    expect(inside).toEqual(b("bc"));
    expect(inside.buffer).toBe(into.buffer);
  });

  it("flushes cached bytes under a direct write before it, so the direct write wins", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    await cache.write(store, "f", 100, b("old bytes"), false);
    const big = Buffer.alloc(1 << 20, 0x42);
    await cache.write(store, "f", 0, big, false);
    expect((await cache.read(store, "f", 0, 1 << 20)).equals(big)).toBe(true);
    await cache.commit(store, "f");
    expect((await store.read("f", 0, 1 << 20)).equals(big)).toBe(true);
  });

  it("shows cached bytes to readers while their write-back is in flight", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    await cache.write(store, "f", 0, b("data"), false);
    await cache.write(store, "f", 10, b("more"), false);
    store.hold();
    const commit = cache.commit(store, "f");
    expect(await isPending(commit)).toBe(true);
    expect(cache.stats().writingBackBytes).toBeGreaterThan(0);
    expect(await cache.read(store, "f", 0, 14)).toEqual(b("data\0\0\0\0\0\0more"));
    store.release();
    await commit;
    expect(await store.read("f", 0, 14)).toEqual(b("data\0\0\0\0\0\0more"));
  });

  it("keeps an extent's buffer for a slow reader when its write-back completes meanwhile", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 32 << 10 });
    const extent = cache.extentSize;
    const store = new ObservedStore();
    store.hold();
    // A full extent: its write-back starts at once and waits at the store.
    await cache.write(store, "f", 0, Buffer.alloc(extent, "x"), false);
    store.holdReads();
    // The store's bytes are taken before the write-back lands (none), so "x" must come from the cache.
    const read = cache.read(store, "f", 0, 2 * extent);
    await tick();
    store.release();
    await cache.commit(store, "f");
    // Another full extent now takes a pooled buffer: it must not be the one the reader still uses.
    await cache.write(store, "g", 0, Buffer.alloc(extent, "y"), false);
    store.releaseReads();
    const got = await read;
    expect(got.length).toBe(extent);
    expect(got.every((x) => x === "x".charCodeAt(0))).toBe(true);
  });

  it("lands a newer write after an older write-back of the same range", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    await cache.write(store, "f", 0, b("old"), false);
    store.holdNext();
    const commit = cache.commit(store, "f");
    const stable = cache.write(store, "f", 0, b("new"), true);
    expect(await isPending(stable)).toBe(true);
    store.release();
    await Promise.all([commit, stable]);
    expect(await store.read("f", 0, 3)).toEqual(b("new"));
    expect(await cache.read(store, "f", 0, 3)).toEqual(b("new"));
  });

  it("truncates cached bytes, and orders the store's truncate after write-backs beyond it", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    await cache.write(store, "f", 0, b("0123456789"), false);
    await cache.write(store, "f", 100, b("far"), false);
    await cache.truncate(store, "f", 5);
    expect(await cache.read(store, "f", 0, 200)).toEqual(b("01234"));
    await cache.commit(store, "f");
    expect(await store.size("f")).toBe(5);
    expect(await store.read("f", 0, 200)).toEqual(b("01234"));

    await cache.write(store, "g", 0, b("abcdefgh"), false);
    store.holdNext();
    const commit = cache.commit(store, "g");
    const truncate = cache.truncate(store, "g", 2);
    expect(await isPending(truncate)).toBe(true);
    store.release();
    await Promise.all([commit, truncate]);
    expect(await store.read("g", 0, 100)).toEqual(b("ab"));
    await cache.truncate(store, "g", 4);
    expect(await cache.read(store, "g", 0, 100)).toEqual(b("ab\0\0"));
  });

  it("deletes cached bytes, and a write-back in flight does not bring them back", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    await cache.write(store, "f", 0, b("doomed"), false);
    await cache.write(store, "g", 0, b("flushing"), false);
    store.holdNext();
    const commit = cache.commit(store, "g");
    await cache.delete(store, "f");
    const deletion = cache.delete(store, "g");
    store.release();
    await Promise.all([commit, deletion]);
    for (const id of ["f", "g"]) {
      expect((await cache.read(store, id, 0, 100)).length).toBe(0);
      expect(await store.size(id)).toBe(0);
    }
    expect(store.writes.map((w) => w.id)).toEqual(["g"]);
    expect(cache.stats()).toEqual({ dirtyBytes: 0, writingBackBytes: 0, dirtyFiles: 0, trackedFiles: 0 });
  });

  it("makes a writer wait for room while the oldest dirty file is written back", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 64 << 10 });
    const store = new ObservedStore();
    // Four files of four separate 4 KiB writes each: exactly the budget.
    for (const id of ["a", "b", "c", "d"]) {
      for (let k = 0; k < 4; k++) await cache.write(store, id, k * 10_000, Buffer.alloc(4096, id), false);
    }
    expect(cache.stats().dirtyBytes).toBe(64 << 10);
    expect(store.writes).toEqual([]);

    store.hold();
    const waiting = cache.write(store, "e", 0, Buffer.alloc(4096, "e"), false);
    expect(await isPending(waiting)).toBe(true);
    // Only the oldest file was needed to make room.
    expect(new Set(store.writes.map((w) => w.id))).toEqual(new Set(["a"]));
    store.release();
    await waiting;
    expect(cache.stats().dirtyBytes).toBe(52 << 10);
    expect((await store.read("a", 30_000, 4096)).every((x) => x === "a".charCodeAt(0))).toBe(true);
  });

  it("keeps cached bytes within the budget with many concurrent writers", async () => {
    const budget = 256 << 10;
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: budget });
    const store = new ObservedStore();
    let peak = 0;
    const writer = async (w: number): Promise<void> => {
      for (let k = 0; k < 64; k++) {
        // Separate small writes: nothing coalesces, so only the budget bounds memory.
        await cache.write(store, `w${w}`, k * 8192, Buffer.alloc(4096, w + k), false);
        const { dirtyBytes, writingBackBytes } = cache.stats();
        peak = Math.max(peak, dirtyBytes + writingBackBytes);
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
    expect(peak).toBeLessThanOrEqual(budget + cache.extentSize);
    await cache.commitAll();
    for (let w = 0; w < 16; w++) {
      for (let k = 0; k < 64; k++) {
        const got = await store.read(`w${w}`, k * 8192, 4096);
        expect(got.every((x) => x === ((w + k) & 0xff))).toBe(true);
      }
    }
  });

  it("streams many MiB of small sequential writes through a small budget", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    const data = randomBytes(8 << 20);
    let peak = 0;
    for (let at = 0; at < data.length; at += 32 << 10) {
      await cache.write(store, "seq", at, data.subarray(at, at + (32 << 10)), false);
      const { dirtyBytes, writingBackBytes } = cache.stats();
      peak = Math.max(peak, dirtyBytes + writingBackBytes);
    }
    expect(peak).toBeLessThanOrEqual((1 << 20) + cache.extentSize);
    await cache.commit(store, "seq");
    const hash = (buf: Buffer): string => createHash("sha256").update(buf).digest("hex");
    expect(hash(await store.read("seq", 0, data.length))).toBe(hash(data));
  });

  it("keeps the data of a failed write-back, logs once and reports it to the next write and commit", async () => {
    const { logger, lines } = captureLogs();
    const cache = new WriteCache(logger, { maxDirtyBytes: 64 << 10 });
    const store = new ObservedStore();
    store.failing.add("f");
    await cache.write(store, "f", 0, b("precious"), false);
    // Pressure from another file pushes "f" (the oldest) out; its write-back fails.
    for (let k = 0; k < 20; k++) await cache.write(store, "g", k * 10_000, Buffer.alloc(4096, 1), false);
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0]!).contentId).toBe("f");
    expect(await cache.read(store, "f", 0, 8)).toEqual(b("precious"));

    await expect(cache.write(store, "f", 100, b("x"), false)).rejects.toSatisfy((e) => isFsError(e, "NoSpace"));
    await expect(cache.commit(store, "f")).rejects.toSatisfy((e) => isFsError(e, "NoSpace"));
    expect(await cache.read(store, "f", 0, 8)).toEqual(b("precious"));

    store.failing.delete("f");
    await cache.commit(store, "f");
    expect(await store.read("f", 0, 8)).toEqual(b("precious"));
    await cache.commitAll();
  });

  it("puts back the bytes of a failed write-back only where nothing newer was written", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20 });
    const store = new ObservedStore();
    await cache.write(store, "f", 0, b("oldbytes"), false);
    store.holdNext();
    store.failNextWrite();
    const failedCommit = cache.commit(store, "f");
    const newer = cache.write(store, "f", 0, b("NEW"), true);
    store.release();
    await expect(failedCommit).rejects.toSatisfy((e) => isFsError(e, "NoSpace"));
    await newer;
    expect(await cache.read(store, "f", 0, 8)).toEqual(b("NEWbytes"));
    expect(cache.stats().dirtyBytes).toBe(5);
    await cache.commit(store, "f");
    expect(await store.read("f", 0, 8)).toEqual(b("NEWbytes"));
  });

  it("gives writers the store's error when failed write-backs fill the whole budget", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 16 << 10 });
    const store = new ObservedStore();
    store.failing.add("f");
    for (let k = 0; k < 5; k++) await cache.write(store, "f", k * 10_000, Buffer.alloc(3000, 1), false);
    await expect(cache.write(store, "g", 0, Buffer.alloc(3000, 2), false)).rejects.toSatisfy((e) =>
      isFsError(e, "NoSpace"),
    );
    store.failing.delete("f");
    await cache.write(store, "g", 0, Buffer.alloc(3000, 2), false);
    await cache.commitAll();
    expect(await store.size("f")).toBe(40_000 + 3000);
  });

  it("syncs every id written since its last sync on commitAll, once", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 64 << 20 });
    const store = new ObservedStore();
    await cache.write(store, "direct", 0, Buffer.alloc(2 << 20), false);
    await cache.write(store, "cached", 0, b("x"), false);
    await cache.truncate(store, "cut", 10);
    await cache.commitAll();
    expect(store.syncs.sort()).toEqual(["cached", "cut", "direct"]);
    await cache.commitAll();
    expect(store.syncs.length).toBe(3);
  });
});

/** Polls `condition` until it holds; fails after `timeoutMs`. */
async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await tick(5);
  }
}

describe("WriteCache idle flush", () => {
  it("writes back a file dirty for flushAfterMs without syncing it; commit still syncs", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20, flushAfterMs: 150, flushIntervalMs: 10 });
    const store = new ObservedStore();
    const written = performance.now();
    await cache.write(store, "f", 0, b("idle bytes"), false);
    await tick(50);
    expect(store.writes).toEqual([]);
    await waitUntil(async () => (await store.size("f")) > 0);
    expect(performance.now() - written).toBeGreaterThanOrEqual(150);
    expect(await store.read("f", 0, 100)).toEqual(b("idle bytes"));
    expect(store.syncs).toEqual([]);
    await waitUntil(() => cache.stats().trackedFiles === 0);
    expect(cache.stats()).toEqual({ dirtyBytes: 0, writingBackBytes: 0, dirtyFiles: 0, trackedFiles: 0 });
    await cache.commit(store, "f");
    expect(store.syncs).toEqual(["f"]);
  });

  it("writes back only the files old enough, by when they first became dirty", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20, flushAfterMs: 400, flushIntervalMs: 10 });
    const store = new ObservedStore();
    await cache.write(store, "old", 0, b("first"), false);
    await tick(250);
    await cache.write(store, "young", 0, b("second"), false);
    // More writes to a dirty file do not make it young again, or a steady writer would never be flushed.
    await cache.write(store, "old", 5, b(" and more"), false);
    await waitUntil(async () => (await store.size("old")) > 0);
    expect(await store.read("old", 0, 100)).toEqual(b("first and more"));
    expect(await store.size("young")).toBe(0);
    expect(cache.stats().dirtyFiles).toBe(1);
    await waitUntil(async () => (await store.size("young")) > 0);
    expect(await store.read("young", 0, 100)).toEqual(b("second"));
    expect(store.writes.map((w) => w.id)).toEqual(["old", "young"]);
  });

  it("keeps the data of a failed idle write-back, retries it later and reports it until then", async () => {
    const cache = new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20, flushAfterMs: 100, flushIntervalMs: 10 });
    const store = new ObservedStore();
    store.failing.add("f");
    await cache.write(store, "f", 0, b("kept"), false);
    await waitUntil(() => store.writes.length === 1 && cache.stats().writingBackBytes === 0);
    expect(cache.stats().dirtyFiles).toBe(1);
    expect(await cache.read(store, "f", 0, 10)).toEqual(b("kept"));
    await expect(cache.write(store, "f", 4, b("!"), false)).rejects.toSatisfy((e) => isFsError(e, "NoSpace"));
    store.failing.delete("f");
    await waitUntil(async () => (await store.size("f")) > 0);
    expect(await store.read("f", 0, 10)).toEqual(b("kept"));
    await cache.commit(store, "f");
  });

  it("rejects a negative or non-finite age and a zero interval", () => {
    for (const options of [{ flushAfterMs: -1 }, { flushAfterMs: Number.NaN }, { flushIntervalMs: 0 }]) {
      expect(() => new WriteCache(silentLogger, { maxDirtyBytes: 1 << 20, ...options })).toThrow(/flush/);
    }
  });
});
