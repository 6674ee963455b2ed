import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FolderIndex } from "./folder-index.js";

describe("FolderIndex", () => {
  let dir: string;
  let index: FolderIndex;
  const node = (nodeId: string, parentId: string, name: string, ino: string, contentId: string | null = null) => ({
    nodeId,
    parentId,
    name,
    dev: "7",
    ino,
    contentId,
    ownerUid: null,
    ownerGid: null,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "folder-index-"));
    index = new FolderIndex(join(dir, "index.db"));
    index.bindRoot("root", "7", "2:100");
  });
  afterEach(() => {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names a node by the names from the root, and finds it again by inode or content id after a move", () => {
    index.put(node("a", "root", "docs", "10:1"));
    index.put(node("b", "a", "notes.txt", "11:1", "c1"));
    expect(index.pathOf("root")).toEqual([]);
    expect(index.pathOf("b")).toEqual(["docs", "notes.txt"]);
    index.move("b", "root", "top.txt");
    expect(index.pathOf("b")).toEqual(["top.txt"]);
    expect(index.byInode("7", "11:1")?.nodeId).toBe("b");
    expect(index.byContent("c1")?.nodeId).toBe("b");
    index.remove("a");
    index.put(node("c", "a", "orphan", "12:1"));
    // A node under a parent the index no longer knows has no path.
    expect(index.pathOf("c")).toBeNull();
    expect(index.pathOf("missing")).toBeNull();
  });

  it("keeps what it knows across a reopen, and starts over for another root node or directory", () => {
    index.put(node("a", "root", "docs", "10:1"));
    index.setListed("a", "5:6");
    index.setOwner("a", 1000, null);
    index.close();
    index = new FolderIndex(join(dir, "index.db"));
    index.bindRoot("root", "7", "2:100");
    expect(index.byNode("a")).toMatchObject({ listed: "5:6", ownerUid: 1000, ownerGid: null });
    // The same directory behind a new metadata store (a new root node): nothing here is valid.
    index.bindRoot("root2", "7", "2:100");
    expect(index.byNode("a")).toBeNull();
    index.put(node("x", "root2", "x", "20:1"));
    // Another directory (its inode differs) under the same root node: the same.
    index.bindRoot("root2", "7", "3:100");
    expect(index.byNode("x")).toBeNull();
    expect(index.pathOf("root2")).toEqual([]);
  });

  it("refuses to name a node whose parents loop back on themselves", () => {
    index.put(node("a", "b", "a", "30:1"));
    index.put(node("b", "a", "b", "31:1"));
    expect(index.pathOf("a")).toBeNull();
  });
});
