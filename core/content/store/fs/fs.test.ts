import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFsError } from "../../../errors.js";
import { runContentStoreConformance } from "../../storetest/index.js";
import { fileNameFor } from "../../../util/local-files.js";
import { FsContentStore } from "./index.js";

let base: string;
let roots = 0;
const newRoot = (): string => path.join(base, `root${roots++}`);

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "dittofs-fs-content-"));
});
afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

runContentStoreConformance("fs", () => FsContentStore.open({ root: newRoot() }));

/** Every file (not directory) under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

/**
 * Descriptors this process holds on files under the test roots. Counting only those keeps the
 * figure free of whatever the test runner itself opens and closes meanwhile.
 */
function openFdCount(): number {
  let count = 0;
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(base)) count++;
    } catch {
      // The descriptor closed between the listing and the readlink.
    }
  }
  return count;
}

describe("FsContentStore", () => {
  it("keeps data across close and reopen", async () => {
    const root = newRoot();
    const first = await FsContentStore.open({ root });
    await first.write("persist01", 10, Buffer.from("still here"));
    await first.sync("persist01");
    await first.close();
    const second = await FsContentStore.open({ root });
    expect(await second.read("persist01", 0, 100)).toEqual(Buffer.concat([Buffer.alloc(10), Buffer.from("still here")]));
    expect(await second.size("persist01")).toBe(20);
    await second.close();
  });

  it("lays files out as root/ab/cd/<id> and never outside the root", async () => {
    const root = newRoot();
    const store = await FsContentStore.open({ root });
    for (const id of ["abcdef", "a", "Ab", "__", "-x-"]) await store.write(id, 0, Buffer.from(id));
    for (const id of ["../escape", "..", "../../etc/passwd", "/tmp/x", "a/../../b"]) {
      await expect(store.write(id, 0, Buffer.from("x"))).rejects.toSatisfy((e) => isFsError(e, "Invalid"));
    }
    expect(filesUnder(root).sort()).toEqual(
      [
        path.join("ab", "cd", "abcdef"),
        path.join("a_", "__", "a"),
        path.join("ab", "__", fileNameFor("Ab")),
        path.join("__", "__", "__"),
        path.join("-x", "-_", "-x-"),
      ].sort(),
    );
    expect(fs.readdirSync(base).every((n) => n.startsWith("root"))).toBe(true);
    await store.close();
  });

  it("names files so that ids differing only in case differ case-insensitively", () => {
    const names = ["abc", "Abc", "aBc", "ABC", "abC"].map((id) => fileNameFor(id).toLowerCase());
    expect(new Set(names).size).toBe(5);
    expect(fileNameFor("X".repeat(128)).length).toBeLessThan(255);
  });

  it("keeps a sparse file sparse on disk", async () => {
    const root = newRoot();
    const store = await FsContentStore.open({ root });
    await store.write("sparse", 2 ** 40, Buffer.from("end"));
    const stat = fs.statSync(path.join(root, "sp", "ar", "sparse"));
    expect(stat.size).toBe(2 ** 40 + 3);
    expect(stat.blocks * 512).toBeLessThan(1 << 20);
    await store.close();
  });

  it("keeps at most maxOpenFiles descriptors open with 20 files interleaved", async () => {
    const store = await FsContentStore.open({ root: newRoot(), maxOpenFiles: 4 });
    const before = openFdCount();
    let peak = before;
    const ids = Array.from({ length: 20 }, (_, i) => `lru${i}`);
    for (let round = 0; round < 5; round++) {
      for (const [i, id] of ids.entries()) {
        await store.write(id, round * 1000, Buffer.alloc(1000, (i + round) & 0xff));
        peak = Math.max(peak, openFdCount());
      }
      // Concurrent reads of every file, sampled as each one finishes while others are in flight.
      await Promise.all(ids.map((id) => store.read(id, 0, 5000).then(() => (peak = Math.max(peak, openFdCount())))));
    }
    for (const [i, id] of ids.entries()) {
      const data = await store.read(id, 0, 5000);
      for (let round = 0; round < 5; round++) {
        expect(data.subarray(round * 1000, (round + 1) * 1000).every((b) => b === ((i + round) & 0xff))).toBe(true);
      }
    }
    // The bound is hard: concurrent users wait for a descriptor rather than open more.
    expect(peak - before).toBeLessThanOrEqual(4);
    await store.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(openFdCount()).toBeLessThanOrEqual(before);
  });

  it("closes the descriptor of deleted content", async () => {
    const store = await FsContentStore.open({ root: newRoot() });
    const before = openFdCount();
    await store.write("victim", 0, Buffer.from("x"));
    expect(openFdCount()).toBe(before + 1);
    await store.delete("victim");
    await new Promise((r) => setTimeout(r, 50));
    expect(openFdCount()).toBe(before);
    await store.close();
  });

  it("maps ENOSPC to NoSpace and other failures to Io", async () => {
    const root = newRoot();
    const store = await FsContentStore.open({ root });
    // Plant a content file that is /dev/full (every write fails with ENOSPC) and one that is a directory.
    fs.mkdirSync(path.join(root, "fu", "ll"), { recursive: true });
    fs.symlinkSync("/dev/full", path.join(root, "fu", "ll", "full"));
    fs.mkdirSync(path.join(root, "di", "r_", "dir"), { recursive: true });
    await expect(store.write("full", 0, Buffer.from("x"))).rejects.toSatisfy((e) => isFsError(e, "NoSpace"));
    await expect(store.write("dir", 0, Buffer.from("x"))).rejects.toSatisfy((e) => isFsError(e, "Io"));
    await store.close();
  });

  it("refuses a root that is a file", async () => {
    const file = path.join(base, "plain-file");
    fs.writeFileSync(file, "x");
    await expect(FsContentStore.open({ root: file })).rejects.toSatisfy((e) => isFsError(e, "NotDir"));
  });

  it("refuses operations after close", async () => {
    const store = await FsContentStore.open({ root: newRoot() });
    await store.close();
    await expect(store.write("late", 0, Buffer.from("x"))).rejects.toSatisfy((e) => isFsError(e, "Io"));
  });
});
