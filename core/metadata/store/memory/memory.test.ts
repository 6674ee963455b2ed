import { describe, expect, it } from "vitest";
import { runMetadataStoreConformance } from "../../storetest/index.js";
import { MemoryMetadataStore } from "./index.js";

runMetadataStoreConformance("memory", async () => new MemoryMetadataStore());

describe("MemoryMetadataStore", () => {
  const rootInit = {
    type: "dir" as const,
    mode: 0o755,
    uid: 0,
    gid: 0,
    size: 4096,
    atime: { sec: 0, nsec: 0 },
    mtime: { sec: 0, nsec: 0 },
    ctime: { sec: 0, nsec: 0 },
    contentId: null,
    rdev: { major: 0, minor: 0 },
  };

  it("never gives two instances the same ids, so old handles cannot name new files", async () => {
    const first = new MemoryMetadataStore();
    const second = new MemoryMetadataStore();
    const a = await first.getOrCreateRoot("/export", rootInit);
    const b = await second.getOrCreateRoot("/export", rootInit);
    expect(a.id).not.toBe(b.id);
    await expect(second.get(a.id)).rejects.toMatchObject({ code: "NotFound" });
  });

  it("refuses calls after close", async () => {
    const store = new MemoryMetadataStore();
    await store.getOrCreateRoot("/export", rootInit);
    await store.close();
    await expect(store.usage()).rejects.toMatchObject({ code: "Io" });
  });
});
