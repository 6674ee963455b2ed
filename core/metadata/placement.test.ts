import { describe, expect, it } from "vitest";
import { fsError } from "../errors.js";
import { silentLogger } from "../util/logger.js";
import { NamePatterns } from "../util/name-patterns.js";
import { MetadataService, type ContentCoordinator } from "./service.js";
import { MemoryMetadataStore } from "./store/memory/index.js";
import type { FileAttr, FileId, Timespec, Unlinked } from "./types.js";

const alice = { uid: 1000, gid: 1000, gids: [1000] };

/** A memory store that records what it was asked and can refuse the next rename. */
class WatchedStore extends MemoryMetadataStore {
  readonly calls: string[] = [];
  refuseRename = false;

  override async rename(fromDirId: FileId, fromName: string, toDirId: FileId, toName: string, now: Timespec): Promise<{ moved: FileAttr; replaced: Unlinked | null }> {
    this.calls.push(`store rename ${fromName} ${toName}`);
    if (this.refuseRename) throw fsError("NameTooLong", "refused");
    return super.rename(fromDirId, fromName, toDirId, toName, now);
  }
}

/** A service over a watched store whose content coordinator writes down each call in order with the store's. */
async function share(litter: string[]) {
  const store = new WatchedStore();
  const content: ContentCoordinator = {
    resize: async () => {},
    release: async (_share, id) => void store.calls.push(`release ${id}`),
    place: async (_share, id, where, fresh) => void store.calls.push(`place ${id} ${where}${fresh ? " fresh" : ""}`),
  };
  const service = new MetadataService(silentLogger, content);
  await service.registerShare({ name: "/s", store, readOnly: false, rootUid: 1000, rootGid: 1000, rootMode: 0o755, localNames: NamePatterns.compile(litter) });
  const root = await service.root("/s");
  const create = async (name: string) => (await service.create(alice, "/s", root.id, name, { mode: "guarded", attrs: {} })).attr;
  const rename = (from: string, to: string) => service.rename(alice, "/s", root.id, from, root.id, to);
  return { service, store, root, create, rename };
}

describe("where a file's content is kept, by its name", () => {
  it("keeps a new file with a litter name local before the store sees it, in any case", async () => {
    const { store, create } = await share([".DS_Store", "._*"]);
    const ds = await create(".ds_store");
    const apple = await create("._photo.jpg");
    await create("photo.jpg");
    expect(store.calls).toEqual([`place ${ds.contentId} local fresh`, `place ${apple.contentId} local fresh`]);
  });

  it("moves the bytes before a rename to a litter name and after a rename from one; not between two of either", async () => {
    const { store, create, rename } = await share(["Thumbs.db", "._*"]);
    const photo = await create("photo.jpg");
    const apple = await create("._a");
    store.calls.length = 0;
    await rename("photo.jpg", "Thumbs.db");
    await rename("._a", "kept.jpg");
    await rename("Thumbs.db", "._b");
    await rename("kept.jpg", "other.jpg");
    expect(store.calls).toEqual([
      `place ${photo.contentId} local`,
      "store rename photo.jpg Thumbs.db",
      "store rename ._a kept.jpg",
      `place ${apple.contentId} remote`,
      "store rename Thumbs.db ._b",
      "store rename kept.jpg other.jpg",
    ]);
  });

  it("sends the bytes back when the store refuses the rename to a litter name", async () => {
    const { store, create, rename } = await share(["Thumbs.db"]);
    const photo = await create("photo.jpg");
    store.calls.length = 0;
    store.refuseRename = true;
    await expect(rename("photo.jpg", "Thumbs.db")).rejects.toMatchObject({ code: "NameTooLong" });
    expect(store.calls).toEqual([`place ${photo.contentId} local`, "store rename photo.jpg Thumbs.db", `place ${photo.contentId} remote`]);
  });

  it("leaves a file with several names where it is, and places nothing when the list is empty", async () => {
    const linked = await share(["Thumbs.db"]);
    const photo = await linked.create("photo.jpg");
    await linked.service.link(alice, "/s", photo.id, linked.root.id, "second.jpg");
    linked.store.calls.length = 0;
    await linked.rename("photo.jpg", "Thumbs.db");
    expect(linked.store.calls).toEqual(["store rename photo.jpg Thumbs.db"]);

    const none = await share([]);
    await none.create("Thumbs.db");
    await none.rename("Thumbs.db", "x");
    expect(none.store.calls).toEqual(["store rename Thumbs.db x"]);
  });

  it("gives a litter file's content back when its create is refused", async () => {
    const { store, create } = await share([".DS_Store"]);
    const first = await create(".DS_Store");
    store.calls.length = 0;
    // A guarded create of a taken name: the new content id is placed, then released.
    const again = await create(".DS_Store").catch((err: unknown) => err);
    expect(again).toMatchObject({ code: "Exists" });
    expect(store.calls).toHaveLength(2);
    expect(store.calls[0]).toMatch(/^place [0-9a-f]{32} local fresh$/);
    expect(store.calls[1]).toBe(`release ${store.calls[0]!.split(" ")[1]}`);
    expect(store.calls[0]).not.toContain(first.contentId!);
  });
});
