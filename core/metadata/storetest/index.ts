import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isFsError, type FsErrorCode } from "../../errors.js";
import type { MetadataStore } from "../store.js";
import type { DirEntry, FileAttr, FileType, NewNode, Timespec } from "../types.js";

const T0: Timespec = { sec: 1_700_000_000, nsec: 123_456_789 };

/** A distinct instant per call, so a test can tell which change set a time. */
let tick = 0;
function later(): Timespec {
  tick += 1;
  return { sec: T0.sec + tick, nsec: tick };
}

function newNode(type: FileType, over: Partial<NewNode> = {}): NewNode {
  return {
    type,
    mode: type === "dir" ? 0o755 : type === "symlink" ? 0o777 : 0o644,
    uid: 1000,
    gid: 1000,
    size: type === "dir" ? 4096 : 0,
    atime: T0,
    mtime: T0,
    ctime: T0,
    contentId: type === "file" ? `content-${Math.random().toString(36).slice(2)}` : null,
    rdev: { major: 0, minor: 0 },
    ...over,
  };
}

async function expectFsError(promise: Promise<unknown>, code: FsErrorCode): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected FsError(${code})`).toBeDefined();
  expect(isFsError(err) ? err.code : err).toBe(code);
}

async function listAll(store: MetadataStore, dirId: string, pageSizes: number[] = [100]): Promise<DirEntry[]> {
  const all: DirEntry[] = [];
  let cookie = 0;
  for (let page = 0; ; page++) {
    const size = pageSizes[page % pageSizes.length]!;
    const result = await store.readDir(dirId, cookie, size);
    expect(result.entries.length).toBeLessThanOrEqual(size);
    all.push(...result.entries);
    if (result.eof) return all;
    expect(result.entries.length).toBeGreaterThan(0);
    cookie = result.entries.at(-1)!.cookie;
  }
}

function expectStrictlyIncreasing(cookies: number[]): void {
  for (let i = 1; i < cookies.length; i++) expect(cookies[i]!).toBeGreaterThan(cookies[i - 1]!);
}

/**
 * The behaviour every MetadataStore must show. Each backend's test file calls this with a way to
 * open a fresh, empty store; each test gets its own store and closes it afterwards.
 */
export function runMetadataStoreConformance(name: string, open: () => Promise<MetadataStore>): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let store: MetadataStore;
    let root: FileAttr;

    beforeEach(async () => {
      store = await open();
      root = await store.getOrCreateRoot("/export", newNode("dir", { uid: 0, gid: 0, mode: 0o777 }));
    });

    afterEach(async () => {
      await store.close();
    });

    const mkdir = async (dirId: string, n: string, now = later()) => (await store.create(dirId, n, newNode("dir"), now)).attr;
    const mkfile = async (dirId: string, n: string, over: Partial<NewNode> = {}, now = later()) =>
      (await store.create(dirId, n, newNode("file", over), now)).attr;

    describe("roots", () => {
      it("gives each share its own root and returns the same root every time", async () => {
        const again = await store.getOrCreateRoot("/export", newNode("dir", { mode: 0o700 }));
        expect(again.id).toBe(root.id);
        expect(again.mode).toBe(0o777);
        const other = await store.getOrCreateRoot("/other", newNode("dir"));
        expect(other.id).not.toBe(root.id);
        await mkfile(root.id, "only-in-export");
        await expectFsError(store.lookup(other.id, "only-in-export"), "NotFound");
        expect((await store.getOrCreateRoot("/other", newNode("dir"))).id).toBe(other.id);
      });

      it("creates a root as a directory with nlink 2 that is its own parent", async () => {
        expect(root.type).toBe("dir");
        expect(root.nlink).toBe(2);
        expect(root.uid).toBe(0);
        expect((await store.parentOf(root.id)).id).toBe(root.id);
      });
    });

    describe("share trees", () => {
      it("tags every node with the root of its share's tree, through every way of making one", async () => {
        expect(root.shareRoot).toBe(root.id);
        const other = await store.getOrCreateRoot("/other", newNode("dir"));
        expect(other.shareRoot).toBe(other.id);
        const d = await mkdir(root.id, "d");
        const f = await mkfile(d.id, "f");
        const [many] = await store.createMany(d.id, [{ name: "m", node: newNode("file") }], later());
        const s = (await store.create(root.id, "s", newNode("symlink", { symlinkTarget: "f", size: 1 }), later())).attr;
        const o = await mkfile(other.id, "o");
        for (const node of [d, f, many!, s]) {
          expect(node.shareRoot).toBe(root.id);
          expect((await store.get(node.id)).shareRoot).toBe(root.id);
        }
        expect(o.shareRoot).toBe(other.id);
        expect((await store.lookup(other.id, "o")).shareRoot).toBe(other.id);
        // Renames and links keep a node in its tree; listings report the tag too.
        await store.rename(d.id, "f", root.id, "f2", later());
        expect((await store.get(f.id)).shareRoot).toBe(root.id);
        expect((await store.link(root.id, "f3", f.id, later())).shareRoot).toBe(root.id);
        const page = await store.readDir(root.id, 0, 100);
        expect(page.entries.map((e) => e.attr.shareRoot)).toEqual(page.entries.map(() => root.id));
        expect((await store.getOrCreateRoot("/other", newNode("dir"))).shareRoot).toBe(other.id);
      });
    });

    describe("secrets", () => {
      it("creates a 32-byte random secret once and returns the same bytes after", async () => {
        const a = await store.secret("file-handles");
        expect(a.length).toBe(32);
        expect(await store.secret("file-handles")).toEqual(a);
        const b = await store.secret("other");
        expect(b.length).toBe(32);
        expect(b).not.toEqual(a);
      });
    });

    describe("create, lookup, get", () => {
      it("keeps every attribute it was given and finds the node by name and by id", async () => {
        const node = newNode("file", {
          mode: 0o4751,
          uid: 501,
          gid: 20,
          size: 12345,
          atime: { sec: 1, nsec: 2 },
          mtime: { sec: 3, nsec: 4 },
          ctime: { sec: 5, nsec: 6 },
          contentId: "abc123",
        });
        const created = (await store.create(root.id, "f.txt", node, later())).attr;
        expect(created).toMatchObject({
          type: "file",
          mode: 0o4751,
          nlink: 1,
          uid: 501,
          gid: 20,
          size: 12345,
          atime: { sec: 1, nsec: 2 },
          mtime: { sec: 3, nsec: 4 },
          ctime: { sec: 5, nsec: 6 },
          contentId: "abc123",
          rdev: { major: 0, minor: 0 },
        });
        expect(Buffer.byteLength(created.id)).toBeLessThanOrEqual(48);
        expect(await store.lookup(root.id, "f.txt")).toEqual(created);
        expect(await store.get(created.id)).toEqual(created);
      });

      it("keeps the creation time and DOS attributes it was given, and defaults them to ctime and none", async () => {
        const given = (
          await store.create(
            root.id,
            "given",
            newNode("file", { ctime: { sec: 5, nsec: 6 }, birthtime: { sec: -3, nsec: 999_999_999 }, dosAttributes: 0x2026 }),
            later(),
          )
        ).attr;
        expect(given).toMatchObject({ birthtime: { sec: -3, nsec: 999_999_999 }, dosAttributes: 0x2026, ctime: { sec: 5, nsec: 6 } });
        expect(await store.get(given.id)).toEqual(given);
        expect(await store.lookup(root.id, "given")).toEqual(given);
        const plain = (await store.create(root.id, "plain", newNode("dir", { ctime: { sec: 7, nsec: 8 } }), later())).attr;
        expect(plain).toMatchObject({ birthtime: { sec: 7, nsec: 8 }, dosAttributes: 0 });
        expect((await listAll(store, root.id)).map((e) => e.attr)).toEqual([given, await store.get(plain.id)]);
      });

      it("keeps device numbers and gives every node its own ino", async () => {
        const dev = (await store.create(root.id, "tty", newNode("char", { rdev: { major: 4, minor: 64 } }), later())).attr;
        expect((await store.get(dev.id)).rdev).toEqual({ major: 4, minor: 64 });
        const fifo = (await store.create(root.id, "pipe", newNode("fifo"), later())).attr;
        expect(fifo.type).toBe("fifo");
        const inos = new Set([root.ino, dev.ino, fifo.ino]);
        expect(inos.size).toBe(3);
      });

      it("treats names as exact, case-sensitive strings", async () => {
        await mkfile(root.id, "Name");
        await mkfile(root.id, "name");
        await mkfile(root.id, "naïve ☃");
        expect((await store.lookup(root.id, "naïve ☃")).type).toBe("file");
        await expectFsError(store.lookup(root.id, "NAME"), "NotFound");
      });

      it("reports Exists, NotFound and NotDir", async () => {
        const file = await mkfile(root.id, "a");
        await expectFsError(mkfile(root.id, "a"), "Exists");
        await expectFsError(mkdir(root.id, "a"), "Exists");
        await expectFsError(store.lookup(root.id, "missing"), "NotFound");
        await expectFsError(store.get("no-such-id"), "NotFound");
        await expectFsError(store.get("999999999"), "NotFound");
        await expectFsError(mkfile(file.id, "x"), "NotDir");
        await expectFsError(store.lookup(file.id, "x"), "NotDir");
        await expectFsError(store.readDir(file.id, 0, 10), "NotDir");
        await expectFsError(store.parentOf(file.id), "NotDir");
        await expectFsError(mkfile("no-such-dir", "x"), "NotFound");
      });

      it("does not change a directory when a create fails", async () => {
        await mkfile(root.id, "a");
        const before = await store.get(root.id);
        await expectFsError(mkfile(root.id, "a"), "Exists");
        expect(await store.get(root.id)).toEqual(before);
      });
    });

    describe("directories", () => {
      it("counts 2 + subdirectories in nlink and knows each directory's parent", async () => {
        const a = await mkdir(root.id, "a");
        expect(a.nlink).toBe(2);
        await mkfile(root.id, "file");
        expect((await store.get(root.id)).nlink).toBe(3);
        const b = await mkdir(a.id, "b");
        await mkdir(a.id, "c");
        expect((await store.get(a.id)).nlink).toBe(4);
        expect((await store.parentOf(a.id)).id).toBe(root.id);
        expect((await store.parentOf(b.id)).id).toBe(a.id);

        const removed = await store.unlink(a.id, "b", later());
        expect(removed.node.id).toBe(b.id);
        expect(removed.node.nlink).toBe(0);
        expect((await store.get(a.id)).nlink).toBe(3);
        await expectFsError(store.get(b.id), "NotFound");
      });

      it("refuses to unlink a non-empty directory", async () => {
        const a = await mkdir(root.id, "a");
        await mkfile(a.id, "inside");
        await expectFsError(store.unlink(root.id, "a", later()), "NotEmpty");
        expect((await store.lookup(root.id, "a")).id).toBe(a.id);
        expect((await store.get(root.id)).nlink).toBe(3);
      });

      it("sets a directory's mtime and ctime to `now` on every change to its entries", async () => {
        const a = await mkdir(root.id, "a");
        const b = await mkdir(root.id, "b");
        let now = later();
        const f = await mkfile(a.id, "f", {}, now);
        expect((await store.get(a.id)).mtime).toEqual(now);
        expect((await store.get(a.id)).ctime).toEqual(now);

        now = later();
        await store.link(b.id, "g", f.id, now);
        expect((await store.get(b.id)).mtime).toEqual(now);
        expect((await store.get(f.id)).ctime).toEqual(now);
        expect((await store.get(a.id)).mtime).not.toEqual(now);

        now = later();
        await store.rename(a.id, "f", b.id, "h", now);
        for (const dir of [a, b]) {
          const attr = await store.get(dir.id);
          expect(attr.mtime).toEqual(now);
          expect(attr.ctime).toEqual(now);
        }

        now = later();
        await store.unlink(b.id, "g", now);
        expect((await store.get(b.id)).mtime).toEqual(now);
        expect((await store.get(b.id)).ctime).toEqual(now);
        expect((await store.get(f.id)).ctime).toEqual(now);
      });
    });

    describe("what a change reports of its directory", () => {
      it("returns the directory as create left it", async () => {
        const now = later();
        const made = await store.create(root.id, "d", newNode("dir"), now);
        expect(made.attr).toEqual(await store.lookup(root.id, "d"));
        expect(made.dir).toEqual(await store.get(root.id));
        expect(made.dir).toMatchObject({ id: root.id, nlink: 3, mtime: now, ctime: now });
        const file = await store.create(made.attr.id, "f", newNode("file"), later());
        expect(file.dir).toEqual(await store.get(made.attr.id));
        expect(file.dir.nlink).toBe(2);
      });

      it("returns the directory as unlink left it", async () => {
        const d = await mkdir(root.id, "d");
        await mkfile(d.id, "f");
        await mkdir(d.id, "sub");
        let now = later();
        const file = await store.unlink(d.id, "f", now);
        expect(file.node.nlink).toBe(0);
        expect(file.dir).toEqual(await store.get(d.id));
        expect(file.dir).toMatchObject({ id: d.id, nlink: 3, mtime: now, ctime: now });
        now = later();
        const sub = await store.unlink(d.id, "sub", now, "dir");
        expect(sub.dir).toEqual(await store.get(d.id));
        expect(sub.dir).toMatchObject({ nlink: 2, mtime: now, ctime: now });
      });

      it("unlinks only the kind of node asked for and changes nothing otherwise", async () => {
        const d = await mkdir(root.id, "d");
        const f = await mkfile(root.id, "f");
        await mkfile(d.id, "inside");
        const before = await store.get(root.id);
        await expectFsError(store.unlink(root.id, "d", later(), "nonDir"), "IsDir");
        await expectFsError(store.unlink(root.id, "f", later(), "dir"), "NotDir");
        // The kind is checked before emptiness, as rmdir of a file says NotDir.
        await expectFsError(store.unlink(root.id, "d", later(), "dir"), "NotEmpty");
        await expectFsError(store.unlink(root.id, "missing", later(), "nonDir"), "NotFound");
        expect(await store.get(root.id)).toEqual(before);
        expect((await store.lookup(root.id, "d")).id).toBe(d.id);
        expect((await store.lookup(root.id, "f")).id).toBe(f.id);
        expect((await store.unlink(root.id, "f", later(), "nonDir")).node.id).toBe(f.id);
        await store.unlink(d.id, "inside", later(), "nonDir");
        expect((await store.unlink(root.id, "d", later(), "dir")).node.id).toBe(d.id);
      });

      it("looks up a directory and one of its names together", async () => {
        const d = await mkdir(root.id, "d");
        const f = await mkfile(d.id, "f");
        expect(await store.lookupIn(d.id, "f")).toEqual({ dir: await store.get(d.id), entry: await store.get(f.id) });
        expect(await store.lookupIn(d.id, "free")).toEqual({ dir: await store.get(d.id), entry: null });
        // A non-directory comes back as itself, with no entry: the caller says NotDir.
        expect(await store.lookupIn(f.id, "x")).toEqual({ dir: await store.get(f.id), entry: null });
        await expectFsError(store.lookupIn("no-such-dir", "f"), "NotFound");
        await store.unlink(d.id, "f", later());
        await expectFsError(store.lookupIn(f.id, "x"), "NotFound");
      });
    });

    describe("hard links", () => {
      it("gives one node several names and deletes it with its last name", async () => {
        const d = await mkdir(root.id, "d");
        const f = await mkfile(root.id, "f", { size: 10 });
        const linked = await store.link(d.id, "g", f.id, later());
        expect(linked.id).toBe(f.id);
        expect(linked.nlink).toBe(2);
        await store.link(root.id, "f2", f.id, later());
        expect((await store.get(f.id)).nlink).toBe(3);
        expect((await store.lookup(d.id, "g")).id).toBe(f.id);

        const first = await store.unlink(root.id, "f", later());
        expect(first.node.id).toBe(f.id);
        expect(first.node.nlink).toBe(2);
        expect((await store.lookup(d.id, "g")).nlink).toBe(2);
        expect((await store.unlink(d.id, "g", later())).node.nlink).toBe(1);
        expect((await store.get(f.id)).size).toBe(10);

        const last = await store.unlink(root.id, "f2", later());
        expect(last.node.nlink).toBe(0);
        expect(last.node.contentId).toBe(f.contentId);
        await expectFsError(store.get(f.id), "NotFound");
      });

      it("refuses links to directories, onto taken names and into non-directories", async () => {
        const d = await mkdir(root.id, "d");
        const f = await mkfile(root.id, "f");
        await expectFsError(store.link(root.id, "d2", d.id, later()), "IsDir");
        await expectFsError(store.link(root.id, "d", f.id, later()), "Exists");
        await expectFsError(store.link(f.id, "x", f.id, later()), "NotDir");
        await expectFsError(store.link(root.id, "x", "no-such-id", later()), "NotFound");
        expect((await store.get(f.id)).nlink).toBe(1);
      });

      it("unlinks a name that does not exist with NotFound", async () => {
        await expectFsError(store.unlink(root.id, "ghost", later()), "NotFound");
      });
    });

    describe("rename", () => {
      it("renames within a directory", async () => {
        const f = await mkfile(root.id, "old");
        const now = later();
        const { moved, replaced } = await store.rename(root.id, "old", root.id, "new", now);
        expect(replaced).toBeNull();
        expect(moved.id).toBe(f.id);
        expect(moved.ctime).toEqual(now);
        await expectFsError(store.lookup(root.id, "old"), "NotFound");
        expect((await store.lookup(root.id, "new")).id).toBe(f.id);
        expect((await store.get(root.id)).nlink).toBe(2);
      });

      it("moves a file across directories without touching link counts", async () => {
        const a = await mkdir(root.id, "a");
        const b = await mkdir(root.id, "b");
        const f = await mkfile(a.id, "f");
        await store.rename(a.id, "f", b.id, "f", later());
        expect((await store.lookup(b.id, "f")).id).toBe(f.id);
        await expectFsError(store.lookup(a.id, "f"), "NotFound");
        expect((await store.get(a.id)).nlink).toBe(2);
        expect((await store.get(b.id)).nlink).toBe(2);
        expect((await store.get(f.id)).nlink).toBe(1);
      });

      it("replaces an existing file and returns it as replaced", async () => {
        const src = await mkfile(root.id, "src");
        const victim = await mkfile(root.id, "victim", { size: 7 });
        const { moved, replaced } = await store.rename(root.id, "src", root.id, "victim", later());
        expect(moved.id).toBe(src.id);
        expect(replaced?.node.id).toBe(victim.id);
        expect(replaced?.node.nlink).toBe(0);
        expect(replaced?.node.contentId).toBe(victim.contentId);
        await expectFsError(store.get(victim.id), "NotFound");
        expect((await store.lookup(root.id, "victim")).id).toBe(src.id);
        await expectFsError(store.lookup(root.id, "src"), "NotFound");
      });

      it("keeps a replaced file that still has another name", async () => {
        await mkfile(root.id, "src");
        const victim = await mkfile(root.id, "victim");
        await store.link(root.id, "victim-link", victim.id, later());
        const now = later();
        const { replaced } = await store.rename(root.id, "src", root.id, "victim", now);
        expect(replaced?.node.nlink).toBe(1);
        const survivor = await store.get(victim.id);
        expect(survivor.nlink).toBe(1);
        expect(survivor.ctime).toEqual(now);
        expect((await store.lookup(root.id, "victim-link")).id).toBe(victim.id);
      });

      it("moves a directory across parents and fixes both parents' link counts", async () => {
        const a = await mkdir(root.id, "a");
        const b = await mkdir(root.id, "b");
        const d = await mkdir(a.id, "d");
        await mkfile(d.id, "inside");
        expect((await store.get(a.id)).nlink).toBe(3);
        await store.rename(a.id, "d", b.id, "d2", later());
        expect((await store.get(a.id)).nlink).toBe(2);
        expect((await store.get(b.id)).nlink).toBe(3);
        expect((await store.get(root.id)).nlink).toBe(4);
        expect((await store.parentOf(d.id)).id).toBe(b.id);
        expect((await store.lookup(d.id, "inside")).type).toBe("file");
      });

      it("replaces an empty directory", async () => {
        const a = await mkdir(root.id, "a");
        const b = await mkdir(root.id, "b");
        const d = await mkdir(a.id, "d");
        const empty = await mkdir(b.id, "empty");
        const { replaced } = await store.rename(a.id, "d", b.id, "empty", later());
        expect(replaced?.node.id).toBe(empty.id);
        expect(replaced?.node.nlink).toBe(0);
        await expectFsError(store.get(empty.id), "NotFound");
        expect((await store.get(a.id)).nlink).toBe(2);
        expect((await store.get(b.id)).nlink).toBe(3);
        expect((await store.lookup(b.id, "empty")).id).toBe(d.id);
        expect((await store.parentOf(d.id)).id).toBe(b.id);
      });

      it("replaces an empty directory within the same parent", async () => {
        await mkdir(root.id, "x");
        await mkdir(root.id, "y");
        expect((await store.get(root.id)).nlink).toBe(4);
        await store.rename(root.id, "x", root.id, "y", later());
        expect((await store.get(root.id)).nlink).toBe(3);
      });

      it("refuses to replace a non-empty directory and changes nothing", async () => {
        const a = await mkdir(root.id, "a");
        const full = await mkdir(root.id, "full");
        await mkfile(full.id, "x");
        const before = await store.get(root.id);
        await expectFsError(store.rename(root.id, "a", root.id, "full", later()), "NotEmpty");
        expect((await store.lookup(root.id, "a")).id).toBe(a.id);
        expect((await store.lookup(root.id, "full")).id).toBe(full.id);
        expect(await store.get(root.id)).toEqual(before);
      });

      it("refuses to mix directories and non-directories", async () => {
        await mkdir(root.id, "d");
        await mkfile(root.id, "f");
        await expectFsError(store.rename(root.id, "d", root.id, "f", later()), "NotDir");
        await expectFsError(store.rename(root.id, "f", root.id, "d", later()), "IsDir");
      });

      it("refuses to move a directory into its own subtree", async () => {
        const a = await mkdir(root.id, "a");
        const b = await mkdir(a.id, "b");
        await expectFsError(store.rename(root.id, "a", b.id, "a", later()), "Invalid");
        await expectFsError(store.rename(root.id, "a", a.id, "self", later()), "Invalid");
        expect((await store.parentOf(a.id)).id).toBe(root.id);
      });

      it("does nothing when both names are the same node", async () => {
        const f = await mkfile(root.id, "f");
        await store.link(root.id, "g", f.id, later());
        const before = await store.get(root.id);
        const same = await store.rename(root.id, "f", root.id, "g", later());
        expect(same.replaced).toBeNull();
        expect(same.moved.id).toBe(f.id);
        expect((await store.lookup(root.id, "f")).id).toBe(f.id);
        expect((await store.lookup(root.id, "g")).id).toBe(f.id);
        expect((await store.get(f.id)).nlink).toBe(2);
        expect(await store.get(root.id)).toEqual(before);

        const self = await store.rename(root.id, "f", root.id, "f", later());
        expect(self.replaced).toBeNull();
        expect((await store.lookup(root.id, "f")).id).toBe(f.id);
      });

      it("reports a missing source as NotFound", async () => {
        await expectFsError(store.rename(root.id, "ghost", root.id, "x", later()), "NotFound");
      });
    });

    describe("setAttr", () => {
      it("applies exactly the given changes", async () => {
        const f = await mkfile(root.id, "f", { mode: 0o600, size: 5 });
        const changed = await store.setAttr(f.id, { mode: 0o640, size: 100, mtime: { sec: 9, nsec: 9 } });
        expect(changed).toMatchObject({ mode: 0o640, size: 100, mtime: { sec: 9, nsec: 9 }, uid: 1000, gid: 1000 });
        expect(changed.atime).toEqual(f.atime);
        expect(changed.ctime).toEqual(f.ctime);
        const more = await store.setAttr(f.id, {
          uid: 7,
          gid: 8,
          atime: { sec: 1, nsec: 0 },
          ctime: { sec: 2, nsec: 0 },
        });
        expect(more).toMatchObject({ uid: 7, gid: 8, atime: { sec: 1, nsec: 0 }, ctime: { sec: 2, nsec: 0 }, mode: 0o640 });
        expect(await store.get(f.id)).toEqual(more);
        expect(await store.setAttr(f.id, {})).toEqual(more);
        await expectFsError(store.setAttr("no-such-id", { mode: 0o600 }), "NotFound");
      });

      it("changes the creation time and DOS attributes alone, and keeps them through other changes", async () => {
        const f = await mkfile(root.id, "f", { dosAttributes: 0x20 });
        const changed = await store.setAttr(f.id, { birthtime: { sec: 11_644_473_600, nsec: 100 }, dosAttributes: 0x6 });
        expect(changed).toEqual({ ...f, birthtime: { sec: 11_644_473_600, nsec: 100 }, dosAttributes: 0x6 });
        const resized = await store.setAttr(f.id, { size: 3, mtime: later() });
        expect(resized).toMatchObject({ birthtime: { sec: 11_644_473_600, nsec: 100 }, dosAttributes: 0x6, size: 3 });
        const cleared = await store.setAttr(f.id, { dosAttributes: 0 });
        expect(cleared.dosAttributes).toBe(0);
        expect(await store.get(f.id)).toEqual(cleared);
        // Renaming and linking change the ctime, not these.
        await store.rename(root.id, "f", root.id, "g", later());
        await store.link(root.id, "h", f.id, later());
        expect(await store.get(f.id)).toMatchObject({ birthtime: { sec: 11_644_473_600, nsec: 100 }, dosAttributes: 0 });
      });

      it("hands out attributes that later changes do not alter", async () => {
        const f = await mkfile(root.id, "f");
        const held = await store.get(f.id);
        await store.setAttr(f.id, { size: 99, mtime: later() });
        expect(held.size).toBe(0);
        expect(held.mtime).toEqual(T0);
      });
    });

    describe("createMany", () => {
      const entry = (n: string, type: FileType = "file", over: Partial<NewNode> = {}) => ({ name: n, node: newNode(type, over) });

      it("creates every name with its attributes, in order, after the entries already there", async () => {
        const dir = await mkdir(root.id, "d");
        await mkfile(dir.id, "before");
        const target = "../elsewhere";
        const now = later();
        const created = await store.createMany(
          dir.id,
          [
            entry("f1", "file", { size: 10, mode: 0o600, uid: 7, gid: 8, mtime: { sec: 5, nsec: 6 } }),
            entry("sub", "dir"),
            entry("ln", "symlink", { symlinkTarget: target, size: target.length }),
            entry("f2", "file", { size: 20, birthtime: { sec: 42, nsec: 43 }, dosAttributes: 0x102 }),
          ],
          now,
        );
        expect(created).toHaveLength(4);
        expect(created.map((a) => a?.type)).toEqual(["file", "dir", "symlink", "file"]);
        expect(created[0]).toMatchObject({ size: 10, mode: 0o600, uid: 7, gid: 8, nlink: 1, mtime: { sec: 5, nsec: 6 } });
        expect(created[1]!.nlink).toBe(2);
        expect(created[1]).toMatchObject({ birthtime: T0, dosAttributes: 0 });
        expect(created[3]).toMatchObject({ birthtime: { sec: 42, nsec: 43 }, dosAttributes: 0x102 });
        expect(new Set(created.map((a) => a!.id)).size).toBe(4);
        expect(new Set(created.map((a) => a!.ino)).size).toBe(4);
        for (const [i, n] of ["f1", "sub", "ln", "f2"].entries()) {
          expect(await store.lookup(dir.id, n)).toEqual(created[i]);
          expect(await store.get(created[i]!.id)).toEqual(created[i]);
        }
        expect(await store.readLink(created[2]!.id)).toBe(target);
        expect((await store.parentOf(created[1]!.id)).id).toBe(dir.id);

        const listed = await listAll(store, dir.id, [2]);
        expect(listed.map((e) => e.name)).toEqual(["before", "f1", "sub", "ln", "f2"]);
        expectStrictlyIncreasing(listed.map((e) => e.cookie));
        expect(listed[3]!.attr).toEqual(created[2]);
        // A listing resumed after an entry of the batch goes on with the next one.
        const resumed = await store.readDir(dir.id, listed[2]!.cookie, 10);
        expect(resumed.entries.map((e) => e.name)).toEqual(["ln", "f2"]);
        // A later create comes after the whole batch.
        await mkfile(dir.id, "after");
        const tail = await store.readDir(dir.id, listed[4]!.cookie, 10);
        expect(tail.entries.map((e) => e.name)).toEqual(["after"]);
      });

      it("gives taken names null, leaves them untouched and creates the rest", async () => {
        const dir = await mkdir(root.id, "d");
        const file = await mkfile(dir.id, "file", { size: 5 });
        const sub = await mkdir(dir.id, "sub");
        const before = await store.get(dir.id);
        const now = later();
        const created = await store.createMany(
          dir.id,
          [entry("new1"), entry("file", "file", { size: 99 }), entry("sub"), entry("new2", "dir"), entry("new1", "dir")],
          now,
        );
        expect(created.map((a) => a === null)).toEqual([false, true, true, false, true]);
        expect(await store.lookup(dir.id, "file")).toEqual(file);
        expect(await store.lookup(dir.id, "sub")).toEqual(await store.get(sub.id));
        // The first of two entries with one name got it.
        expect((await store.lookup(dir.id, "new1")).type).toBe("file");
        expect((await store.lookup(dir.id, "new2")).id).toBe(created[3]!.id);
        const after = await store.get(dir.id);
        expect(after.nlink).toBe(before.nlink + 1);
        expect(after.mtime).toEqual(now);
        expect(after.ctime).toEqual(now);
        expect((await listAll(store, dir.id)).map((e) => e.name)).toEqual(["file", "sub", "new1", "new2"]);
      });

      it("changes nothing when every name is taken or there is none", async () => {
        const dir = await mkdir(root.id, "d");
        await mkfile(dir.id, "a");
        await mkdir(dir.id, "b");
        const before = await store.get(dir.id);
        const usage = await store.usage();
        expect(await store.createMany(dir.id, [entry("a"), entry("b", "dir")], later())).toEqual([null, null]);
        expect(await store.createMany(dir.id, [], later())).toEqual([]);
        expect(await store.get(dir.id)).toEqual(before);
        expect(await store.usage()).toEqual(usage);
        await mkfile(dir.id, "c");
        expect((await listAll(store, dir.id)).map((e) => e.name)).toEqual(["a", "b", "c"]);
      });

      it("counts new directories in the parent's nlink and sets its times once", async () => {
        const dir = await mkdir(root.id, "d");
        const now = later();
        const created = await store.createMany(dir.id, [entry("x", "dir"), entry("y"), entry("z", "dir"), entry("w", "dir")], now);
        const after = await store.get(dir.id);
        expect(after.nlink).toBe(2 + 3);
        expect(after.mtime).toEqual(now);
        expect(after.ctime).toEqual(now);
        expect((await store.get(root.id)).nlink).toBe(3);
        for (const attr of [created[0], created[2], created[3]]) {
          expect(attr!.nlink).toBe(2);
          expect((await store.parentOf(attr!.id)).id).toBe(dir.id);
          expect((await store.readDir(attr!.id, 0, 10)).entries).toEqual([]);
        }
        // The new directories behave as any other: they hold names and can be removed.
        await mkfile(created[0]!.id, "inside");
        await expectFsError(store.unlink(dir.id, "x", later()), "NotEmpty");
        await store.unlink(dir.id, "z", later());
        expect((await store.get(dir.id)).nlink).toBe(2 + 2);
      });

      it("fails whole for a missing directory or a non-directory", async () => {
        const file = await mkfile(root.id, "f");
        const usage = await store.usage();
        await expectFsError(store.createMany(file.id, [entry("x")], later()), "NotDir");
        await expectFsError(store.createMany("no-such-dir", [entry("x")], later()), "NotFound");
        await expectFsError(store.createMany("999999999", [entry("x")], later()), "NotFound");
        expect(await store.usage()).toEqual(usage);
      });

      it("counts what it created in usage", async () => {
        const base = await store.usage();
        await mkfile(root.id, "taken", { size: 1 });
        await store.createMany(root.id, [entry("a", "file", { size: 100 }), entry("taken", "file", { size: 50 }), entry("d", "dir"), entry("b", "file", { size: 23 })], later());
        expect(await store.usage()).toEqual({ files: base.files + 4, bytes: base.bytes + 124 });
      });

      it("stores a page of 1,000 names that list, look up and resume like created ones", async () => {
        const dir = await mkdir(root.id, "page");
        const first = Array.from({ length: 1000 }, (_, i) => entry(`obj-${i.toString().padStart(4, "0")}`, i % 100 === 0 ? "dir" : "file", { size: i }));
        const created = await store.createMany(dir.id, first, later());
        expect(created.every((a) => a !== null)).toBe(true);
        // A second page that repeats its last ten names, as a listing overlapping a local create would.
        const second = Array.from({ length: 20 }, (_, i) => entry(`obj-${(990 + i).toString().padStart(4, "0")}`));
        const again = await store.createMany(dir.id, second, later());
        expect(again.filter((a) => a === null)).toHaveLength(10);
        const listed = await listAll(store, dir.id, [1, 333, 1000, 7]);
        expect(listed.map((e) => e.name)).toEqual([...first, ...second.slice(10)].map((e) => e.name));
        expectStrictlyIncreasing(listed.map((e) => e.cookie));
        expect((await store.get(dir.id)).nlink).toBe(2 + 10);
        expect((await store.lookup(dir.id, "obj-0512")).size).toBe(512);
        expect((await store.lookup(dir.id, "obj-1005")).id).toBe(again[15]!.id);
      });
    });

    describe("readDir", () => {
      it("lists an empty directory as eof", async () => {
        const page = await store.readDir(root.id, 0, 10);
        expect(page).toEqual({ entries: [], eof: true });
      });

      it("returns attributes with names and ends a full last page with eof", async () => {
        const f = await mkfile(root.id, "f", { size: 3 });
        const d = await mkdir(root.id, "d");
        const page = await store.readDir(root.id, 0, 2);
        expect(page.eof).toBe(true);
        expect(page.entries.map((e) => e.name)).toEqual(["f", "d"]);
        expect(page.entries[0]!.attr).toEqual(await store.get(f.id));
        expect(page.entries[1]!.attr).toEqual(await store.get(d.id));
        expect(page.entries[0]!.cookie).toBeGreaterThan(0);
        const partial = await store.readDir(root.id, 0, 1);
        expect(partial.eof).toBe(false);
        const rest = await store.readDir(root.id, partial.entries[0]!.cookie, 1);
        expect(rest.entries.map((e) => e.name)).toEqual(["d"]);
        expect(rest.eof).toBe(true);
      });

      it("lists 5,000 entries exactly once across pages of varying size", async () => {
        const dir = await mkdir(root.id, "big");
        const names = new Set<string>();
        for (let i = 0; i < 5000; i++) {
          const n = `entry-${i.toString().padStart(5, "0")}`;
          names.add(n);
          await store.create(dir.id, n, newNode(i % 10 === 0 ? "dir" : "file"), T0);
        }
        const listed = await listAll(store, dir.id, [1, 7, 100, 333, 1000, 2, 512]);
        expect(listed.length).toBe(5000);
        expect(new Set(listed.map((e) => e.name))).toEqual(names);
        expectStrictlyIncreasing(listed.map((e) => e.cookie));
        expect((await store.get(dir.id)).nlink).toBe(2 + 500);
      });

      it("never repeats or loops when entries come and go during a listing", async () => {
        const dir = await mkdir(root.id, "busy");
        for (let i = 0; i < 300; i++) await mkfile(dir.id, `f${i}`);
        const seen: DirEntry[] = [];
        const removedUnseen = new Set<string>();
        const touched = new Set<string>();
        let cookie = 0;
        let round = 0;
        for (;;) {
          const page = await store.readDir(dir.id, cookie, 40);
          seen.push(...page.entries);
          if (page.eof) break;
          cookie = page.entries.at(-1)!.cookie;
          round += 1;
          expect(round).toBeLessThan(100);
          // Remove one entry already seen and one not yet seen, add two, rename one not yet seen.
          const seenNames = new Set(seen.map((e) => e.name));
          const seenVictim = `f${(round * 7) % 300}`;
          const unseenVictim = `f${Math.min(299, seen.length + 5)}`;
          for (const victim of [seenVictim, unseenVictim]) {
            touched.add(victim);
            const exists = await store.lookup(dir.id, victim).then(
              () => true,
              () => false,
            );
            if (!exists) continue;
            await store.unlink(dir.id, victim, later());
            if (!seenNames.has(victim)) removedUnseen.add(victim);
          }
          await mkfile(dir.id, `new-${round}-a`);
          await mkfile(dir.id, `new-${round}-b`);
          const renameVictim = `f${Math.min(299, seen.length + 10)}`;
          touched.add(renameVictim);
          const renameable = await store.lookup(dir.id, renameVictim).then(
            () => !seenNames.has(renameVictim),
            () => false,
          );
          if (renameable) {
            await store.rename(dir.id, renameVictim, dir.id, `renamed-${round}`, later());
            removedUnseen.add(renameVictim);
          }
        }
        const names = seen.map((e) => e.name);
        expect(new Set(names).size).toBe(names.length);
        expectStrictlyIncreasing(seen.map((e) => e.cookie));
        for (const n of removedUnseen) expect(names).not.toContain(n);
        for (let i = 0; i < 300; i++) {
          const n = `f${i}`;
          if (!touched.has(n)) expect(names.filter((x) => x === n)).toHaveLength(1);
        }
        // Entries added or renamed during the listing come after its position and still show up.
        expect(names.filter((n) => n.startsWith("new-")).length).toBeGreaterThan(0);
        expect(names.filter((n) => n.startsWith("renamed-")).length).toBeGreaterThan(0);
      });

      it("never reuses a cookie in a directory and resumes after a removed entry's cookie", async () => {
        await mkfile(root.id, "a");
        await mkfile(root.id, "b");
        const [a, b] = (await store.readDir(root.id, 0, 10)).entries;
        await store.unlink(root.id, "b", later());
        await mkfile(root.id, "c");
        await store.rename(root.id, "a", root.id, "a2", later());
        const after = (await store.readDir(root.id, 0, 10)).entries;
        expect(after.map((e) => e.name)).toEqual(["c", "a2"]);
        expect(after[0]!.cookie).toBeGreaterThan(b!.cookie);
        expect(after[1]!.cookie).toBeGreaterThan(after[0]!.cookie);
        const resumed = await store.readDir(root.id, b!.cookie, 10);
        expect(resumed.entries.map((e) => e.name)).toEqual(["c", "a2"]);
        expect(a!.cookie).toBeLessThan(b!.cookie);
      });

      it("resumes correctly after most entries were removed", async () => {
        const dir = await mkdir(root.id, "sparse");
        for (let i = 0; i < 1000; i++) await store.create(dir.id, `e${i}`, newNode("file"), T0);
        const first = await store.readDir(dir.id, 0, 50);
        for (let i = 0; i < 1000; i++) if (i % 10 !== 0) await store.unlink(dir.id, `e${i}`, T0);
        const rest = await listAll(store, dir.id, [3, 17]);
        expect(rest.map((e) => e.name)).toEqual(Array.from({ length: 100 }, (_, k) => `e${k * 10}`));
        let cookie = first.entries.at(-1)!.cookie;
        const resumed: string[] = [];
        for (;;) {
          const page = await store.readDir(dir.id, cookie, 4);
          resumed.push(...page.entries.map((e) => e.name));
          if (page.eof) break;
          cookie = page.entries.at(-1)!.cookie;
        }
        expect(resumed).toEqual(Array.from({ length: 95 }, (_, k) => `e${(k + 5) * 10}`));
      });

      it("resumes after a cookie past the end with an empty eof page", async () => {
        await mkfile(root.id, "a");
        const page = await store.readDir(root.id, 1_000_000, 10);
        expect(page).toEqual({ entries: [], eof: true });
      });
    });

    describe("symlinks", () => {
      it("stores the target and reads it back", async () => {
        const target = "../some/where/ünïcode";
        const link = (await store.create(
          root.id,
          "ln",
          newNode("symlink", { symlinkTarget: target, size: Buffer.byteLength(target) }),
          later(),
        )).attr;
        expect(link.type).toBe("symlink");
        expect(link.size).toBe(Buffer.byteLength(target));
        expect(await store.readLink(link.id)).toBe(target);
        const f = await mkfile(root.id, "f");
        await expectFsError(store.readLink(f.id), "Invalid");
        await expectFsError(store.readLink("no-such-id"), "NotFound");
      });
    });

    describe("ids", () => {
      it("never reuses an id or ino after a delete", async () => {
        const ids = new Set<string>([root.id]);
        const inos = new Set<number>([root.ino]);
        for (let i = 0; i < 25; i++) {
          const f = i % 2 === 0 ? await mkfile(root.id, "tmp") : await mkdir(root.id, "tmp");
          ids.add(f.id);
          inos.add(f.ino);
          await store.unlink(root.id, "tmp", later());
        }
        expect(ids.size).toBe(26);
        expect(inos.size).toBe(26);
      });
    });

    describe("usage", () => {
      it("counts nodes and regular-file bytes", async () => {
        const base = await store.usage();
        expect(base.files).toBeGreaterThanOrEqual(1);
        const f = await mkfile(root.id, "f", { size: 1000 });
        await mkfile(root.id, "g", { size: 24 });
        await mkdir(root.id, "d");
        const target = "t".repeat(50);
        await store.create(root.id, "s", newNode("symlink", { symlinkTarget: target, size: 50 }), later());
        expect(await store.usage()).toEqual({ files: base.files + 4, bytes: base.bytes + 1024 });
        await store.setAttr(f.id, { size: 10 });
        expect((await store.usage()).bytes).toBe(base.bytes + 34);
        await store.link(root.id, "f-link", f.id, later());
        expect((await store.usage()).files).toBe(base.files + 4);
        await store.unlink(root.id, "f", later());
        expect((await store.usage()).bytes).toBe(base.bytes + 34);
        await store.unlink(root.id, "f-link", later());
        expect(await store.usage()).toEqual({ files: base.files + 3, bytes: base.bytes + 24 });
      });
    });
  });
}
