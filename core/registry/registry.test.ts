import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { MemoryContentStore } from "../content/store/memory/index.js";
import { MemoryMetadataStore } from "../metadata/store/memory/index.js";
import { validateConfig } from "../config/validate.js";
import type { DittoConfig } from "../config/types.js";
import { FsError } from "../errors.js";
import { silentLogger } from "../util/logger.js";
import { Registry } from "./registry.js";
import { createStores } from "./stores.js";

function memoryConfig(shares: { name: string }[] = [{ name: "/export" }, { name: "/other" }]): DittoConfig {
  return validateConfig(
    {
      metadata: { stores: { meta: { type: "memory" } } },
      content: { stores: { data: { type: "memory" } } },
      shares: shares.map((s) => ({ ...s, metadata_store: "meta", content_store: "data" })),
    },
    "test",
  );
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("no error thrown");
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dittofs-registry-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Registry over memory stores", () => {
  test("two shares on the same named stores share one instance of each, with a root each", async () => {
    const registry = await Registry.fromConfig(memoryConfig(), silentLogger);
    try {
      expect(registry.shares().map((s) => s.name)).toEqual(["/export", "/other"]);
      const store = registry.metadataStore("meta")!;
      const rootA = await registry.metadata.root("/export");
      const rootB = await registry.metadata.root("/other");
      expect(rootA.id).not.toBe(rootB.id);
      // Both roots live in the one store instance the registry opened for "meta".
      expect((await store.get(rootA.id)).type).toBe("dir");
      expect((await store.get(rootB.id)).type).toBe("dir");
      expect(rootA.mode).toBe(0o755);
      expect(rootA.uid).toBe(process.getuid!());

      // Content written through one share lands in the shared content store.
      const contentStore = registry.contentStore("data")!;
      await registry.content.write("/export", "c1", 0, Buffer.from("hello"), "file_sync");
      expect((await contentStore.read("c1", 0, 5)).toString()).toBe("hello");
    } finally {
      await registry.close();
    }
  });

  test("cache.flush_after reaches the content service: an idle unstable write lands in the store", async () => {
    const config = memoryConfig([{ name: "/export" }]);
    config.cache.flushAfter = 50;
    const registry = await Registry.fromConfig(config, silentLogger);
    try {
      const contentStore = registry.contentStore("data")!;
      await registry.content.write("/export", "idle", 0, Buffer.from("no commit"), "unstable");
      expect(await contentStore.size("idle")).toBe(0);
      await vi.waitFor(async () => expect((await contentStore.read("idle", 0, 20)).toString()).toBe("no commit"), {
        timeout: 3000,
        interval: 10,
      });
    } finally {
      await registry.content.flushAll();
      await registry.close();
    }
  });

  test("share lookup by name and by id", async () => {
    const registry = await Registry.fromConfig(memoryConfig(), silentLogger);
    try {
      const share = registry.share("/export")!;
      expect(share.name).toBe("/export");
      expect(share.id).toBe(512538615);
      expect(share.readOnly).toBe(false);
      expect(registry.shareById(share.id)).toBe(share);
      expect(registry.share("/missing")).toBeUndefined();
    } finally {
      await registry.close();
    }
  });

  test("handles round trip and name their share; forged handles are BadHandle or Stale", async () => {
    const registry = await Registry.fromConfig(memoryConfig(), silentLogger);
    try {
      const share = registry.share("/other")!;
      const handle = await registry.rootHandle(share);
      const root = await registry.metadata.root("/other");
      expect(handle).toEqual(registry.handleFor(share, root.id));
      const resolved = registry.resolveHandle(handle);
      expect(resolved.share).toBe(share);
      expect(resolved.fileId).toBe(root.id);

      const unknownShare = Buffer.from(handle);
      unknownShare.writeUInt32BE((share.id + 1) >>> 0, 1);
      expect(() => registry.resolveHandle(unknownShare)).toThrow(expect.objectContaining({ code: "Stale" }));

      const wrongVersion = Buffer.from(handle);
      wrongVersion[0] = 9;
      for (const bad of [wrongVersion, handle.subarray(0, 5), Buffer.alloc(0), Buffer.alloc(65, 1)]) {
        let error: unknown;
        try {
          registry.resolveHandle(bad);
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(FsError);
        expect((error as FsError).code).toBe("BadHandle");
      }
    } finally {
      await registry.close();
    }
  });

  test("share names with colliding ids are rejected at startup and the stores closed", async () => {
    const config = memoryConfig([{ name: "/share-107037" }, { name: "/share-118021" }]);
    const stores = await createStores(config, silentLogger);
    const error = await errorOf(Registry.create({ logger: silentLogger, stores, shares: config.shares, maxDirtyBytes: 1 << 20 }));
    expect(error.message).toBe("shares /share-107037 and /share-118021 have the same share id 3959625028; rename one of them");
    await expect(stores.metadata.get("meta")!.usage()).rejects.toThrow();
  });

  test("a share naming a store that does not exist is rejected", async () => {
    const config = memoryConfig([{ name: "/export" }]);
    const stores = await createStores(config, silentLogger);
    const shares = [{ ...config.shares[0]!, contentStore: "nope" }];
    const error = await errorOf(Registry.create({ logger: silentLogger, stores, shares, maxDirtyBytes: 1 << 20 }));
    expect(error.message).toBe('share /export: unknown content store "nope"');
  });

  test("close() closes every store once and is idempotent", async () => {
    const registry = await Registry.fromConfig(memoryConfig(), silentLogger);
    const meta = registry.metadataStore("meta")!;
    const data = registry.contentStore("data")!;
    const metaClose = vi.spyOn(meta, "close");
    const dataClose = vi.spyOn(data, "close");
    await Promise.all([registry.close(), registry.close()]);
    await registry.close();
    expect(metaClose).toHaveBeenCalledTimes(1);
    expect(dataClose).toHaveBeenCalledTimes(1);
    await expect(meta.usage()).rejects.toThrow();
  });

  test("one store instance known under two names is closed once", async () => {
    const meta = new MemoryMetadataStore();
    const data = new MemoryContentStore();
    const stores = { metadata: new Map([["a", meta], ["b", meta]]), content: new Map([["c", data]]) };
    const base = memoryConfig([{ name: "/one" }]).shares[0]!;
    const shares = [
      { ...base, metadataStore: "a", contentStore: "c" },
      { ...base, name: "/two", metadataStore: "b", contentStore: "c" },
    ];
    const registry = await Registry.create({ logger: silentLogger, stores, shares, maxDirtyBytes: 1 << 20 });
    const metaClose = vi.spyOn(meta, "close");
    const dataClose = vi.spyOn(data, "close");
    await registry.close();
    expect(metaClose).toHaveBeenCalledTimes(1);
    expect(dataClose).toHaveBeenCalledTimes(1);
  });
});

describe("Registry over sqlite and fs stores", () => {
  function persistentConfig(): DittoConfig {
    return validateConfig(
      {
        metadata: { stores: { meta: { type: "sqlite", sqlite: { path: path.join(dir, "db", "meta.db") } } } },
        content: { stores: { data: { type: "fs", fs: { path: path.join(dir, "content") } } } },
        shares: [
          { name: "/export", metadata_store: "meta", content_store: "data", root: { uid: 1234, gid: 5678, mode: "0750" } },
        ],
      },
      "test",
    );
  }

  test("root handles are stable across restarts and the root keeps its configured owner", async () => {
    const first = await Registry.fromConfig(persistentConfig(), silentLogger);
    const handle = await first.rootHandle(first.share("/export")!);
    const root = await first.metadata.root("/export");
    expect([root.uid, root.gid, root.mode]).toEqual([1234, 5678, 0o750]);
    await first.close();

    const second = await Registry.fromConfig(persistentConfig(), silentLogger);
    try {
      expect(await second.rootHandle(second.share("/export")!)).toEqual(handle);
      expect(second.resolveHandle(handle).fileId).toBe(root.id);
    } finally {
      await second.close();
    }
  });

  test("a store that cannot be opened is named in the error", async () => {
    const blocker = path.join(dir, "a-file");
    await writeFile(blocker, "not a directory");
    const config = persistentConfig();
    config.content.stores.data = { type: "fs", fs: { layout: "opaque", path: path.join(blocker, "content"), maxOpenFiles: 8, index: null, revalidateAfter: 1000 } };
    const error = await errorOf(Registry.fromConfig(config, silentLogger));
    expect(error.message).toMatch(new RegExp(`^cannot open content store "data" \\(fs at ${blocker}/content\\): `));
  });
});
