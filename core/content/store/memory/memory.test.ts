import { describe, expect, it } from "vitest";
import { isFsError } from "../../../errors.js";
import { runContentStoreConformance } from "../../storetest/index.js";
import { MemoryContentStore } from "./index.js";

runContentStoreConformance("memory", async () => new MemoryContentStore());

describe("MemoryContentStore", () => {
  it("counts the bytes it holds and releases them on truncate and delete", async () => {
    const store = new MemoryContentStore();
    await store.write("a", 0, Buffer.alloc(3 << 20, 1));
    expect((await store.space()).used).toBe(3 << 20);
    await store.truncate("a", 1 << 20);
    expect((await store.space()).used).toBe(1 << 20);
    await store.delete("a");
    expect((await store.space()).used).toBe(0);
    expect((await store.space()).available).toBe(Infinity);
  });

  it("holds a small file in a small buffer", async () => {
    const store = new MemoryContentStore();
    await store.write("small", 0, Buffer.from("tiny"));
    await store.write("far", 2 ** 40, Buffer.from("tiny"));
    expect((await store.space()).used).toBe(8);
  });

  it("refuses writes beyond its capacity with NoSpace and leaves the content unchanged", async () => {
    const store = new MemoryContentStore({ capacityBytes: 1000 });
    await store.write("a", 0, Buffer.alloc(600, 1));
    await expect(store.write("a", 600, Buffer.alloc(600, 2))).rejects.toSatisfy((e) => isFsError(e, "NoSpace"));
    expect(await store.size("a")).toBe(600);
    expect((await store.space()).available).toBe(400);
  });
});
