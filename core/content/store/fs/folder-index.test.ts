import Database from "better-sqlite3";
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

  it("answers from changes not yet written, and writes them before a query by inode or content id and at close", () => {
    index.put(node("a", "root", "docs", "10:1"));
    index.put(node("b", "a", "old.txt", "11:1", "c1"));
    index.flush();
    index.move("b", "root", "new.txt");
    index.setListed("a", "1:2");
    index.remove("a");
    index.put(node("d", "root", "d.txt", "13:1", "c3"));
    // A second connection sees what is written so far: nothing of the above yet.
    const written = new Database(join(dir, "index.db"), { readonly: true });
    const names = () => written.prepare("SELECT name FROM nodes ORDER BY name").pluck().all();
    expect(names()).toEqual(["", "docs", "old.txt"]);
    expect(index.pathOf("b")).toEqual(["new.txt"]);
    expect(index.byNode("a")).toBeNull();
    expect(index.byInode("7", "10:1")).toBeNull();
    expect(names()).toEqual(["", "d.txt", "new.txt"]);
    index.setOwner("d", 1000, 1000);
    expect(index.byContent("c3")).toMatchObject({ nodeId: "d", ownerUid: 1000 });
    index.move("d", "root", "e.txt");
    index.close();
    expect(names()).toEqual(["", "e.txt", "new.txt"]);
    written.close();
    index = new FolderIndex(join(dir, "index.db"));
    index.bindRoot("root", "7", "2:100");
    expect(index.byNode("d")).toMatchObject({ name: "e.txt", ownerUid: 1000, ownerGid: 1000 });
  });

  it("refuses to name a node whose parents loop back on themselves", () => {
    index.put(node("a", "b", "a", "30:1"));
    index.put(node("b", "a", "b", "31:1"));
    expect(index.pathOf("a")).toBeNull();
  });
});
