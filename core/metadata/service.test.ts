import { beforeEach, describe, expect, it } from "vitest";
import { isFsError, type FsErrorCode } from "../errors.js";
import { silentLogger } from "../util/logger.js";
import {
  ACCESS_DELETE,
  ACCESS_EXECUTE,
  ACCESS_EXTEND,
  ACCESS_LOOKUP,
  ACCESS_MODIFY,
  ACCESS_READ,
  MetadataService,
  NameNotFound,
  type SetAttrRequest,
} from "./service.js";
import { MemoryMetadataStore } from "./store/memory/index.js";
import { DOS_ARCHIVE, DOS_HIDDEN, DOS_SYSTEM, timespecNow, type AuthContext, type FileAttr, type Timespec } from "./types.js";

const SHARE = "/export";
const ALL_ACCESS = ACCESS_READ | ACCESS_LOOKUP | ACCESS_MODIFY | ACCESS_EXTEND | ACCESS_DELETE | ACCESS_EXECUTE;
const OLD: Timespec = { sec: 1000, nsec: 0 };

const root: AuthContext = { uid: 0, gid: 0, gids: [] };
const alice: AuthContext = { uid: 1000, gid: 1000, gids: [1000, 50] };
const bob: AuthContext = { uid: 2000, gid: 2000, gids: [2000] };
/** In alice's group through her supplementary groups only. */
const carol: AuthContext = { uid: 3000, gid: 3000, gids: [3000, 1000] };

async function expectFsError(promise: Promise<unknown>, code: FsErrorCode): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected FsError(${code})`).toBeDefined();
  expect(isFsError(err) ? err.code : err).toBe(code);
}

describe("MetadataService", () => {
  let store: MemoryMetadataStore;
  let svc: MetadataService;
  let top: FileAttr;

  beforeEach(async () => {
    store = new MemoryMetadataStore();
    svc = new MetadataService(silentLogger);
    top = await svc.registerShare({ name: SHARE, store, readOnly: false, rootUid: 0, rootGid: 0, rootMode: 0o777 });
  });

  /** Sets a node's times to a fixed old instant, so a test can see what a change did to them. */
  const age = (id: string) => store.setAttr(id, { atime: OLD, mtime: OLD, ctime: OLD });
  const mkdir = (ctx: AuthContext, dirId: string, name: string, attrs: SetAttrRequest = {}) =>
    svc.mkdir(ctx, SHARE, dirId, name, attrs).then((r) => r.attr);
  const mkfile = (ctx: AuthContext, dirId: string, name: string, attrs: SetAttrRequest = {}) =>
    svc.create(ctx, SHARE, dirId, name, { mode: "guarded", attrs }).then((r) => r.attr);

  describe("shares", () => {
    it("reaches a node only through its own share, even when shares share a store", async () => {
      const other = await svc.registerShare({ name: "/other", store, readOnly: true, rootUid: 0, rootGid: 0, rootMode: 0o755 });
      const theirs = ((await store.create(other.id, "theirs", { ...(await store.get(other.id)), type: "file", contentId: "c" }, OLD)).attr).id;
      const dir = await mkdir(root, top.id, "d");
      await expectFsError(svc.getAttr(SHARE, theirs), "Stale");
      await expectFsError(svc.getAttr(SHARE, other.id), "Stale");
      await expectFsError(svc.checkWrite(root, SHARE, theirs), "Stale");
      await expectFsError(svc.setAttr(root, SHARE, theirs, { mode: 0o777 }, null), "Stale");
      await expectFsError(svc.lookup(root, SHARE, other.id, "theirs"), "Stale");
      await expectFsError(svc.link(root, SHARE, theirs, dir.id, "stolen"), "Stale");
      await expectFsError(svc.rename(root, SHARE, other.id, "theirs", dir.id, "stolen"), "Stale");
      await expectFsError(svc.remove(root, SHARE, other.id, "theirs"), "Stale");
      expect((await svc.getAttr("/other", theirs)).mode).toBe(0o755);
      await expectFsError(svc.getAttr("/other", dir.id), "Stale");
    });

    it("creates the root from the binding and keeps it across registrations", async () => {
      expect(top).toMatchObject({ type: "dir", uid: 0, gid: 0, mode: 0o777 });
      expect((await svc.root(SHARE)).id).toBe(top.id);
      await expectFsError(
        svc.registerShare({ name: SHARE, store, readOnly: false, rootUid: 0, rootGid: 0, rootMode: 0o755 }),
        "Exists",
      );
      svc.unregisterShare(SHARE);
      const again = await svc.registerShare({ name: SHARE, store, readOnly: false, rootUid: 5, rootGid: 5, rootMode: 0o700 });
      expect(again.id).toBe(top.id);
    });

    it("keeps two shares of one store apart, each with its own lock manager", async () => {
      const other = await svc.registerShare({ name: "/other", store, readOnly: false, rootUid: 1, rootGid: 1, rootMode: 0o750 });
      expect(other.id).not.toBe(top.id);
      expect(other).toMatchObject({ uid: 1, gid: 1, mode: 0o750 });
      expect(svc.locks("/other")).not.toBe(svc.locks(SHARE));
      expect(svc.locks(SHARE)).toBe(svc.locks(SHARE));
    });

    it("answers Stale for an unknown share and for ids that no longer exist", async () => {
      await expectFsError(svc.getAttr("/nope", top.id), "Stale");
      expect(() => svc.locks("/nope")).toThrow(expect.objectContaining({ code: "Stale" }));
      const d = await mkdir(alice, top.id, "d");
      await svc.rmdir(alice, SHARE, top.id, "d");
      await expectFsError(svc.getAttr(SHARE, d.id), "Stale");
      await expectFsError(svc.lookup(alice, SHARE, d.id, "x"), "Stale");
      await expectFsError(mkfile(alice, d.id, "x"), "Stale");
      await expectFsError(svc.getAttr(SHARE, "garbage"), "Stale");
    });

    it("delegates usage to the store", async () => {
      await mkfile(alice, top.id, "f", { size: 10 });
      expect(await svc.usage(SHARE)).toEqual(await store.usage());
      expect((await svc.usage(SHARE)).bytes).toBe(10);
    });
  });

  describe("permissions", () => {
    it("uses owner, then group, then other bits", async () => {
      const own = await mkdir(alice, top.id, "own", { mode: 0o770 });
      await mkfile(alice, own.id, "by-owner");
      await mkfile(carol, own.id, "by-group-member");
      await expectFsError(mkfile(bob, own.id, "by-other"), "Access");
      await expectFsError(svc.lookup(bob, SHARE, own.id, "by-owner"), "Access");

      // The owner class wins even when the group bits would allow more.
      await svc.setAttr(alice, SHARE, own.id, { mode: 0o070 }, null);
      await expectFsError(svc.lookup(alice, SHARE, own.id, "by-owner"), "Access");
      expect((await svc.lookup(carol, SHARE, own.id, "by-owner")).attr.type).toBe("file");
    });

    it("accepts the primary group and any supplementary group", async () => {
      const shared = await mkdir(root, top.id, "shared", { mode: 0o770, gid: 50 });
      expect(shared.gid).toBe(50);
      await mkfile(alice, shared.id, "via-supplementary");
      await expectFsError(mkfile(carol, shared.id, "x"), "Access");
      const primary = await mkdir(root, top.id, "primary", { mode: 0o770, gid: 3000 });
      await mkfile(carol, primary.id, "via-primary");
    });

    it("needs search permission to look up and read permission to list", async () => {
      const d = await mkdir(alice, top.id, "d", { mode: 0o744 });
      await mkfile(alice, d.id, "f");
      await expectFsError(svc.lookup(bob, SHARE, d.id, "f"), "Access");
      expect((await svc.readDir(bob, SHARE, d.id, 0, 10)).page.entries.map((e) => e.name)).toEqual(["f"]);
      await svc.setAttr(alice, SHARE, d.id, { mode: 0o711 }, null);
      expect((await svc.lookup(bob, SHARE, d.id, "f")).attr.type).toBe("file");
      await expectFsError(svc.readDir(bob, SHARE, d.id, 0, 10), "Access");
    });

    it("answers a LOOKUP of a free name with the directory it searched, once the search is permitted", async () => {
      const d = await mkdir(alice, top.id, "d", { mode: 0o711 });
      const miss = await svc.lookup(bob, SHARE, d.id, "missing").then(
        () => null,
        (err: unknown) => err,
      );
      expect(miss).toBeInstanceOf(NameNotFound);
      expect((miss as NameNotFound).code).toBe("NotFound");
      expect((miss as NameNotFound).dir).toEqual(await svc.getAttr(SHARE, d.id));
      await svc.setAttr(alice, SHARE, d.id, { mode: 0o700 }, null);
      await expectFsError(svc.lookup(bob, SHARE, d.id, "missing"), "Access");
      const f = await mkfile(alice, d.id, "f");
      await expectFsError(svc.lookup(alice, SHARE, f.id, "x"), "NotDir");
    });

    it("lets root read, write and search anything but execute only with some x bit", async () => {
      const locked = await mkdir(alice, top.id, "locked", { mode: 0o000 });
      await mkfile(root, locked.id, "root-was-here");
      expect((await svc.lookup(root, SHARE, locked.id, "root-was-here")).attr.uid).toBe(0);
      const f = await mkfile(alice, top.id, "f", { mode: 0o600 });
      expect((await svc.access(root, SHARE, f.id, ALL_ACCESS)).granted).toBe(ACCESS_READ | ACCESS_MODIFY | ACCESS_EXTEND);
      await svc.setAttr(alice, SHARE, f.id, { mode: 0o610 }, null);
      expect((await svc.access(root, SHARE, f.id, ACCESS_EXECUTE)).granted).toBe(ACCESS_EXECUTE);
      await svc.checkWrite(root, SHARE, f.id);
      await svc.read(root, SHARE, f.id, async (file) => file);
    });

    it("reports ACCESS bits per node type, limited to those requested", async () => {
      const d = await mkdir(alice, top.id, "d", { mode: 0o755 });
      const f = await mkfile(alice, d.id, "f", { mode: 0o640 });
      expect((await svc.access(alice, SHARE, d.id, ALL_ACCESS)).granted).toBe(
        ACCESS_READ | ACCESS_LOOKUP | ACCESS_MODIFY | ACCESS_EXTEND | ACCESS_DELETE,
      );
      expect((await svc.access(bob, SHARE, d.id, ALL_ACCESS)).granted).toBe(ACCESS_READ | ACCESS_LOOKUP);
      expect((await svc.access(alice, SHARE, f.id, ALL_ACCESS)).granted).toBe(ACCESS_READ | ACCESS_MODIFY | ACCESS_EXTEND);
      expect((await svc.access(carol, SHARE, f.id, ALL_ACCESS)).granted).toBe(ACCESS_READ);
      expect((await svc.access(bob, SHARE, f.id, ALL_ACCESS)).granted).toBe(0);
      const result = await svc.access(alice, SHARE, f.id, ACCESS_READ);
      expect(result.granted).toBe(ACCESS_READ);
      expect(result.attr.id).toBe(f.id);
    });

    it("lets only the file's owner, the directory's owner or root remove or rename in a sticky directory", async () => {
      const tmp = await mkdir(carol, top.id, "tmp", { mode: 0o1777 });
      for (const n of ["a1", "a2", "a3", "a4"]) await mkfile(alice, tmp.id, n, { mode: 0o666 });
      await mkfile(bob, tmp.id, "b1");
      await expectFsError(svc.remove(bob, SHARE, tmp.id, "a1"), "Perm");
      await expectFsError(svc.rename(bob, SHARE, tmp.id, "a1", tmp.id, "mine"), "Perm");
      await expectFsError(svc.rename(bob, SHARE, tmp.id, "b1", tmp.id, "a1"), "Perm");
      await svc.remove(alice, SHARE, tmp.id, "a1");
      await svc.remove(carol, SHARE, tmp.id, "a2");
      await svc.remove(root, SHARE, tmp.id, "a3");
      await svc.rename(alice, SHARE, tmp.id, "a4", tmp.id, "a4-renamed");
      await svc.rename(bob, SHARE, tmp.id, "b1", tmp.id, "b1-renamed");
      const names = (await svc.readDir(root, SHARE, tmp.id, 0, 10)).page.entries.map((e) => e.name);
      expect(names.sort()).toEqual(["a4-renamed", "b1-renamed"]);
    });

    it("needs write and search permission on every directory a change touches", async () => {
      const mine = await mkdir(alice, top.id, "mine", { mode: 0o755 });
      const f = await mkfile(alice, mine.id, "f");
      const open = await mkdir(bob, top.id, "open", { mode: 0o777 });
      await expectFsError(svc.remove(bob, SHARE, mine.id, "f"), "Access");
      await expectFsError(svc.rename(bob, SHARE, mine.id, "f", open.id, "f"), "Access");
      await expectFsError(svc.link(bob, SHARE, f.id, mine.id, "f2"), "Access");
      await expectFsError(svc.mkdir(bob, SHARE, mine.id, "d", {}), "Access");
      await expectFsError(svc.symlink(bob, SHARE, mine.id, "s", "f", {}), "Access");
      await svc.link(bob, SHARE, f.id, open.id, "f-link");
      await svc.rename(alice, SHARE, open.id, "f-link", mine.id, "f-back");
      expect((await svc.lookup(alice, SHARE, mine.id, "f-back")).attr.id).toBe(f.id);
    });

    it("needs write permission on a directory to move it to another parent", async () => {
      const a = await mkdir(alice, top.id, "a", { mode: 0o777 });
      const b = await mkdir(alice, top.id, "b", { mode: 0o777 });
      await mkdir(alice, a.id, "sub", { mode: 0o555 });
      await expectFsError(svc.rename(bob, SHARE, a.id, "sub", b.id, "sub"), "Access");
      await svc.rename(bob, SHARE, a.id, "sub", a.id, "renamed-in-place");
    });

    it("lets owners read and write their files' data whatever the mode, and others only as the mode says", async () => {
      const f = await mkfile(alice, top.id, "f", { mode: 0o000 });
      await svc.read(alice, SHARE, f.id, async (file) => file);
      await svc.checkWrite(alice, SHARE, f.id);
      await expectFsError(svc.read(bob, SHARE, f.id, async (file) => file), "Access");
      await expectFsError(svc.checkWrite(bob, SHARE, f.id), "Access");
      await svc.setAttr(alice, SHARE, f.id, { mode: 0o001 }, null);
      await svc.read(bob, SHARE, f.id, async (file) => file);
      await svc.setAttr(alice, SHARE, f.id, { mode: 0o006 }, null);
      await svc.checkWrite(bob, SHARE, f.id);
      const d = await mkdir(alice, top.id, "d");
      await expectFsError(svc.read(alice, SHARE, d.id, async (file) => file), "IsDir");
      await expectFsError(svc.checkWrite(alice, SHARE, d.id), "IsDir");
      const s = await svc.symlink(alice, SHARE, top.id, "s", "f", {});
      await expectFsError(svc.read(alice, SHARE, s.attr.id, async (file) => file), "Invalid");
    });
  });

  describe("read-only shares", () => {
    it("refuses every change with ReadOnly and still serves reads", async () => {
      const d = await mkdir(alice, top.id, "d");
      const f = await mkfile(alice, d.id, "f", { mode: 0o666 });
      svc.unregisterShare(SHARE);
      await svc.registerShare({ name: SHARE, store, readOnly: true, rootUid: 0, rootGid: 0, rootMode: 0o777 });
      const attempts: Promise<unknown>[] = [
        svc.setAttr(alice, SHARE, f.id, { mode: 0o600 }, null),
        svc.create(alice, SHARE, d.id, "new", { mode: "unchecked", attrs: {} }),
        svc.create(alice, SHARE, d.id, "f", { mode: "unchecked", attrs: {} }),
        svc.mkdir(alice, SHARE, d.id, "new", {}),
        svc.symlink(alice, SHARE, d.id, "new", "f", {}),
        svc.mknod(alice, SHARE, d.id, "new", "fifo", {}, { major: 0, minor: 0 }),
        svc.remove(alice, SHARE, d.id, "f"),
        svc.rmdir(alice, SHARE, top.id, "d"),
        svc.rename(alice, SHARE, d.id, "f", d.id, "g"),
        svc.link(alice, SHARE, f.id, d.id, "g"),
        svc.checkWrite(alice, SHARE, f.id),
        svc.write(alice, SHARE, f.id, 10, async () => {}),
      ];
      for (const attempt of attempts) await expectFsError(attempt, "ReadOnly");
      expect((await svc.lookup(bob, SHARE, d.id, "f")).attr.id).toBe(f.id);
      await svc.read(bob, SHARE, f.id, async (file) => file);
      expect((await svc.readDir(bob, SHARE, d.id, 0, 10)).page.entries).toHaveLength(1);
      expect((await svc.access(alice, SHARE, f.id, ALL_ACCESS)).granted).toBe(ACCESS_READ);
      expect((await svc.access(alice, SHARE, d.id, ALL_ACCESS)).granted).toBe(ACCESS_READ | ACCESS_LOOKUP);
    });
  });

  describe("names", () => {
    it("rejects malformed names and names over 255 bytes of UTF-8", async () => {
      for (const bad of ["", "a/b", "a\0b", "/"]) {
        await expectFsError(mkfile(alice, top.id, bad), "Invalid");
        await expectFsError(svc.remove(alice, SHARE, top.id, bad), "Invalid");
        await expectFsError(svc.lookup(alice, SHARE, top.id, bad), "NotFound");
      }
      await mkfile(alice, top.id, "x".repeat(255));
      await expectFsError(mkfile(alice, top.id, "x".repeat(256)), "NameTooLong");
      await mkfile(alice, top.id, "é".repeat(127));
      await expectFsError(mkfile(alice, top.id, "é".repeat(128)), "NameTooLong");
      await expectFsError(svc.lookup(alice, SHARE, top.id, "😀".repeat(64)), "NameTooLong");
      await expectFsError(svc.mkdir(alice, SHARE, top.id, "y".repeat(300), {}), "NameTooLong");
      await expectFsError(svc.rename(alice, SHARE, top.id, "x".repeat(255), top.id, "z".repeat(256)), "NameTooLong");
    });

    it("treats '.' and '..' as names that always exist", async () => {
      const d = await mkdir(alice, top.id, "d");
      const f = await mkfile(alice, d.id, "f");
      await expectFsError(mkfile(alice, d.id, "."), "Exists");
      await expectFsError(svc.mkdir(alice, SHARE, d.id, "..", {}), "Exists");
      await expectFsError(svc.symlink(alice, SHARE, d.id, ".", "x", {}), "Exists");
      await expectFsError(svc.link(alice, SHARE, f.id, d.id, ".."), "Exists");
      await expectFsError(svc.remove(alice, SHARE, d.id, "."), "Invalid");
      await expectFsError(svc.remove(alice, SHARE, d.id, ".."), "Invalid");
      await expectFsError(svc.rmdir(alice, SHARE, d.id, "."), "Invalid");
      await expectFsError(svc.rmdir(alice, SHARE, d.id, ".."), "NotEmpty");
      await expectFsError(svc.rename(alice, SHARE, d.id, ".", top.id, "e"), "Invalid");
      await expectFsError(svc.rename(alice, SHARE, d.id, "f", d.id, ".."), "Invalid");
    });

    it("looks up '.' as the directory and '..' as its parent; the root is its own parent", async () => {
      const d = await mkdir(alice, top.id, "d");
      const e = await mkdir(alice, d.id, "e");
      expect((await svc.lookup(alice, SHARE, e.id, ".")).attr.id).toBe(e.id);
      expect((await svc.lookup(alice, SHARE, e.id, "..")).attr.id).toBe(d.id);
      expect((await svc.lookup(alice, SHARE, d.id, "..")).attr.id).toBe(top.id);
      const atRoot = await svc.lookup(alice, SHARE, top.id, "..");
      expect(atRoot.attr.id).toBe(top.id);
      expect(atRoot.dir.id).toBe(top.id);
      await expectFsError(svc.lookup(alice, SHARE, d.id, "missing"), "NotFound");
      const f = await mkfile(alice, d.id, "f");
      await expectFsError(svc.lookup(alice, SHARE, f.id, "x"), "NotDir");
    });
  });

  describe("remove and rmdir", () => {
    it("removes files with remove and directories with rmdir only", async () => {
      await mkdir(alice, top.id, "d");
      const f = await mkfile(alice, top.id, "f", { size: 5 });
      await expectFsError(svc.remove(alice, SHARE, top.id, "d"), "IsDir");
      await expectFsError(svc.rmdir(alice, SHARE, top.id, "f"), "NotDir");
      await expectFsError(svc.remove(alice, SHARE, top.id, "ghost"), "NotFound");
      const { removed } = await svc.remove(alice, SHARE, top.id, "f");
      expect(removed.node).toMatchObject({ id: f.id, nlink: 0, contentId: f.contentId });
      await svc.rmdir(alice, SHARE, top.id, "d");
      await expectFsError(svc.lookup(alice, SHARE, top.id, "d"), "NotFound");
    });

    it("refuses to remove a non-empty directory", async () => {
      const d = await mkdir(alice, top.id, "d");
      await mkfile(alice, d.id, "f");
      await expectFsError(svc.rmdir(alice, SHARE, top.id, "d"), "NotEmpty");
    });

    it("keeps a file with other names and drops the locks of a deleted one", async () => {
      const f = await mkfile(alice, top.id, "f");
      await svc.link(alice, SHARE, f.id, top.id, "g");
      svc.locks(SHARE).lock(f.id, "owner", 0, 10, true);
      const first = await svc.remove(alice, SHARE, top.id, "f");
      expect(first.removed.node.nlink).toBe(1);
      expect(svc.locks(SHARE).list(f.id)).toHaveLength(1);
      await svc.remove(alice, SHARE, top.id, "g");
      expect(svc.locks(SHARE).list(f.id)).toEqual([]);
    });
  });

  describe("rename", () => {
    it("moves names and replaces what the target held", async () => {
      const a = await mkdir(alice, top.id, "a");
      const b = await mkdir(alice, top.id, "b");
      const f = await mkfile(alice, a.id, "f");
      const victim = await mkfile(alice, b.id, "victim");
      const result = await svc.rename(alice, SHARE, a.id, "f", b.id, "victim");
      expect(result.replaced?.node).toMatchObject({ id: victim.id, nlink: 0 });
      expect((await svc.lookup(alice, SHARE, b.id, "victim")).attr.id).toBe(f.id);
      await expectFsError(svc.rename(alice, SHARE, a.id, "f", b.id, "x"), "NotFound");
    });

    it("applies the directory rules", async () => {
      const d = await mkdir(alice, top.id, "d");
      const sub = await mkdir(alice, d.id, "sub");
      await mkfile(alice, top.id, "f");
      const full = await mkdir(alice, top.id, "full");
      await mkfile(alice, full.id, "x");
      await mkdir(alice, top.id, "empty");
      await expectFsError(svc.rename(alice, SHARE, top.id, "d", sub.id, "d"), "Invalid");
      await expectFsError(svc.rename(alice, SHARE, top.id, "d", d.id, "d"), "Invalid");
      await expectFsError(svc.rename(alice, SHARE, top.id, "d", top.id, "f"), "NotDir");
      await expectFsError(svc.rename(alice, SHARE, top.id, "f", top.id, "d"), "IsDir");
      await expectFsError(svc.rename(alice, SHARE, top.id, "d", top.id, "full"), "NotEmpty");
      const { replaced } = await svc.rename(alice, SHARE, top.id, "d", top.id, "empty");
      expect(replaced?.node.type).toBe("dir");
      expect((await svc.lookup(alice, SHARE, top.id, "empty")).attr.id).toBe(d.id);
    });

    it("does nothing when source and target are names of one file", async () => {
      const f = await mkfile(alice, top.id, "f");
      await svc.link(alice, SHARE, f.id, top.id, "g");
      await age(top.id);
      const result = await svc.rename(alice, SHARE, top.id, "f", top.id, "g");
      expect(result.replaced).toBeNull();
      expect(result.fromWcc.before).toEqual({ size: 4096, mtime: OLD, ctime: OLD });
      expect(result.fromWcc.after?.mtime).toEqual(OLD);
      expect((await svc.lookup(alice, SHARE, top.id, "f")).attr.id).toBe(f.id);
      expect((await svc.lookup(alice, SHARE, top.id, "g")).attr.nlink).toBe(2);
    });

    it("returns wcc data for both directories", async () => {
      const a = await mkdir(alice, top.id, "a");
      const b = await mkdir(alice, top.id, "b");
      await mkfile(alice, a.id, "f");
      await age(a.id);
      await age(b.id);
      const { fromWcc, toWcc } = await svc.rename(alice, SHARE, a.id, "f", b.id, "g");
      for (const wcc of [fromWcc, toWcc]) {
        expect(wcc.before).toEqual({ size: 4096, mtime: OLD, ctime: OLD });
        expect(wcc.after?.mtime).not.toEqual(OLD);
        expect(wcc.after?.ctime).toEqual(wcc.after?.mtime);
      }
      expect(fromWcc.after?.id).toBe(a.id);
      expect(toWcc.after?.id).toBe(b.id);
      expect(toWcc.after).toEqual(await svc.getAttr(SHARE, b.id));
    });
  });

  describe("link", () => {
    it("adds a name, refuses directories and caps the link count", async () => {
      const d = await mkdir(alice, top.id, "d");
      const f = await mkfile(alice, top.id, "f");
      await age(d.id);
      const { attr, dirWcc } = await svc.link(alice, SHARE, f.id, d.id, "g");
      expect(attr).toMatchObject({ id: f.id, nlink: 2 });
      expect(dirWcc.before?.mtime).toEqual(OLD);
      expect(dirWcc.after?.mtime).not.toEqual(OLD);
      await expectFsError(svc.link(alice, SHARE, d.id, top.id, "d2"), "IsDir");
      await expectFsError(svc.link(alice, SHARE, f.id, d.id, "g"), "Exists");
      await expectFsError(svc.link(alice, SHARE, f.id, f.id, "x"), "NotDir");
      await expectFsError(svc.link(alice, SHARE, "gone", d.id, "x"), "Stale");

      const many = await mkdir(alice, top.id, "many");
      for (let i = attr.nlink; i < 65535; i++) await store.link(many.id, `l${i}`, f.id, OLD);
      expect((await svc.getAttr(SHARE, f.id)).nlink).toBe(65535);
      await expectFsError(svc.link(alice, SHARE, f.id, d.id, "one-too-many"), "MLink");
    });
  });

  describe("create", () => {
    it("gives new nodes defaults: mode, owner, times, a fresh content id", async () => {
      const f = await mkfile(alice, top.id, "f");
      expect(f).toMatchObject({ type: "file", mode: 0o644, uid: 1000, gid: 1000, size: 0, nlink: 1 });
      expect(f.contentId).toMatch(/^[0-9a-f]{32}$/);
      expect((await mkfile(alice, top.id, "g")).contentId).not.toBe(f.contentId);
      expect(f.mtime).toEqual(f.ctime);
      const d = await mkdir(alice, top.id, "d");
      expect(d).toMatchObject({ type: "dir", mode: 0o755, uid: 1000, gid: 1000, nlink: 2, contentId: null });
      const s = await svc.symlink(alice, SHARE, top.id, "s", "d/ünï", {});
      expect(s.attr).toMatchObject({ type: "symlink", mode: 0o777, size: Buffer.byteLength("d/ünï"), contentId: null });
      expect((await svc.readLink(bob, SHARE, s.attr.id)).target).toBe("d/ünï");
      await expectFsError(svc.readLink(bob, SHARE, f.id), "Invalid");
    });

    it("applies the attributes the client sent, within what the caller may do", async () => {
      const when = { sec: 42, nsec: 7 };
      const f = await mkfile(alice, top.id, "f", { mode: 0o7640, gid: 50, atime: when, mtime: "now", size: 3 });
      expect(f).toMatchObject({ mode: 0o7640, gid: 50, atime: when, size: 3 });
      expect(f.mtime).toEqual(f.ctime);
      await expectFsError(mkfile(alice, top.id, "g", { uid: 2000 }), "Perm");
      await expectFsError(mkfile(alice, top.id, "g", { gid: 2000 }), "Perm");
      expect(await mkfile(root, top.id, "g", { uid: 2000, gid: 2000 })).toMatchObject({ uid: 2000, gid: 2000 });
      expect(await mkfile(alice, top.id, "h", { uid: 1000 })).toMatchObject({ uid: 1000 });
    });

    it("inherits the group, and for directories the setgid bit, of a setgid directory", async () => {
      const team = await mkdir(root, top.id, "team", { mode: 0o2777, gid: 77 });
      expect(await mkfile(alice, team.id, "f")).toMatchObject({ gid: 77, mode: 0o644 });
      expect(await mkdir(alice, team.id, "d", { mode: 0o750 })).toMatchObject({ gid: 77, mode: 0o2750 });
    });

    it("handles UNCHECKED on an existing name: reuse, truncate if asked, Exists for non-files", async () => {
      const f = await mkfile(alice, top.id, "f", { size: 100, mode: 0o600 });
      await age(top.id);
      const reused = await svc.create(alice, SHARE, top.id, "f", { mode: "unchecked", attrs: { mode: 0o777 } });
      expect(reused.attr).toEqual(f);
      expect(reused.dirWcc.before).toEqual({ size: 4096, mtime: OLD, ctime: OLD });
      expect(reused.dirWcc.after?.mtime).toEqual(OLD);
      await age(f.id);
      const truncated = await svc.create(alice, SHARE, top.id, "f", { mode: "unchecked", attrs: { size: 0 } });
      expect(truncated.attr).toMatchObject({ id: f.id, size: 0, mode: 0o600 });
      expect(truncated.attr.mtime).not.toEqual(OLD);
      await svc.setAttr(alice, SHARE, f.id, { size: 5 }, null);
      await expectFsError(svc.create(bob, SHARE, top.id, "f", { mode: "unchecked", attrs: { size: 0 } }), "Access");
      await mkdir(alice, top.id, "d");
      await expectFsError(svc.create(alice, SHARE, top.id, "d", { mode: "unchecked", attrs: {} }), "Exists");
    });

    it("needs search permission alone to CREATE over an existing name, write permission too for a free one", async () => {
      const d = await mkdir(alice, top.id, "d", { mode: 0o755 });
      const f = await mkfile(alice, d.id, "f", { mode: 0o666 });
      expect((await svc.create(bob, SHARE, d.id, "f", { mode: "unchecked", attrs: {} })).attr).toEqual(f);
      expect((await svc.create(bob, SHARE, d.id, "f", { mode: "unchecked", attrs: { size: 3 } })).attr).toMatchObject({ id: f.id, size: 3 });
      await expectFsError(svc.create(bob, SHARE, d.id, "f", { mode: "guarded", attrs: {} }), "Exists");
      await expectFsError(svc.create(bob, SHARE, d.id, "new", { mode: "unchecked", attrs: {} }), "Access");
      // An owner a new file could not be given does not matter to an existing one.
      expect((await svc.create(alice, SHARE, d.id, "f", { mode: "unchecked", attrs: { uid: 0 } })).attr.id).toBe(f.id);
      await expectFsError(svc.create(alice, SHARE, d.id, "new", { mode: "unchecked", attrs: { uid: 0 } }), "Perm");
      const closed = await mkdir(alice, top.id, "closed", { mode: 0o700 });
      await mkfile(alice, closed.id, "f");
      await expectFsError(svc.create(bob, SHARE, closed.id, "f", { mode: "unchecked", attrs: {} }), "Access");
      expect((await svc.readDir(alice, SHARE, d.id, 0, 10)).page.entries.map((e) => e.name)).toEqual(["f"]);
    });

    it("handles GUARDED on an existing name with Exists", async () => {
      await mkfile(alice, top.id, "f");
      await expectFsError(svc.create(alice, SHARE, top.id, "f", { mode: "guarded", attrs: {} }), "Exists");
    });

    it("keeps an EXCLUSIVE verifier so that a retransmission finds the same file", async () => {
      const verifier = Buffer.from([0x81, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]);
      const first = await svc.create(alice, SHARE, top.id, "f", { mode: "exclusive", verifier });
      expect(first.attr.mtime).toEqual({ sec: 0x01020304, nsec: 0 });
      expect(first.attr.atime).toEqual({ sec: 0x05060708, nsec: 0 });
      expect(first.attr).toMatchObject({ mode: 0o644, uid: 1000, size: 0 });
      const again = await svc.create(alice, SHARE, top.id, "f", { mode: "exclusive", verifier: Buffer.from(verifier) });
      expect(again.attr.id).toBe(first.attr.id);
      const other = Buffer.from([1, 2, 3, 4, 5, 6, 7, 9]);
      await expectFsError(svc.create(alice, SHARE, top.id, "f", { mode: "exclusive", verifier: other }), "Exists");
      await expectFsError(svc.create(alice, SHARE, top.id, "g", { mode: "exclusive", verifier: Buffer.alloc(4) }), "Invalid");
      // Once the client has set the real times, the verifier no longer matches.
      await svc.setAttr(alice, SHARE, first.attr.id, { mtime: "now", atime: "now" }, null);
      await expectFsError(svc.create(alice, SHARE, top.id, "f", { mode: "exclusive", verifier }), "Exists");
    });

    it("makes special files, devices for root only", async () => {
      const fifo = await svc.mknod(alice, SHARE, top.id, "p", "fifo", { mode: 0o600 }, { major: 9, minor: 9 });
      expect(fifo.attr).toMatchObject({ type: "fifo", mode: 0o600, rdev: { major: 0, minor: 0 } });
      await expectFsError(svc.mknod(alice, SHARE, top.id, "c", "char", {}, { major: 1, minor: 3 }), "Perm");
      const dev = await svc.mknod(root, SHARE, top.id, "c", "char", {}, { major: 1, minor: 3 });
      expect(dev.attr).toMatchObject({ type: "char", rdev: { major: 1, minor: 3 } });
    });

    it("refuses empty and oversized symbolic link targets", async () => {
      await expectFsError(svc.symlink(alice, SHARE, top.id, "s", "", {}), "Invalid");
      await expectFsError(svc.symlink(alice, SHARE, top.id, "s", "x".repeat(4097), {}), "NameTooLong");
    });

    it("returns wcc data for the directory", async () => {
      await age(top.id);
      const made = await svc.mkdir(alice, SHARE, top.id, "d", {});
      expect(made.dirWcc.before).toEqual({ size: 4096, mtime: OLD, ctime: OLD });
      const after = made.dirWcc.after!;
      expect(after.mtime).toEqual(made.attr.ctime);
      expect(after.ctime).toEqual(made.attr.ctime);
      expect(after.nlink).toBe(3);
      expect(after).toEqual(await svc.getAttr(SHARE, top.id));

      await age(top.id);
      const { dirWcc } = await svc.rmdir(alice, SHARE, top.id, "d");
      expect(dirWcc.before?.mtime).toEqual(OLD);
      expect(dirWcc.after?.nlink).toBe(2);
    });
  });

  describe("change events", () => {
    it("reports attribute changes with what they touched, only while someone listens", async () => {
      const f = await mkfile(alice, top.id, "f");
      const seen: unknown[] = [];
      await svc.setAttr(alice, SHARE, f.id, { mode: 0o600 }, null);
      const stop = svc.watchAttrs((change) => seen.push(change));
      await svc.setAttr(alice, SHARE, f.id, { mode: 0o640, atime: OLD }, null);
      await svc.setAttr(alice, SHARE, f.id, { size: 10 }, null);
      await svc.write(alice, SHARE, f.id, 4, async () => {});
      stop();
      await svc.setAttr(alice, SHARE, f.id, { mode: 0o600 }, null);
      expect(seen).toEqual([
        { share: SHARE, id: f.id, kinds: ["mode", "atime"] },
        { share: SHARE, id: f.id, kinds: ["size", "mtime"] },
        { share: SHARE, id: f.id, kinds: ["mtime"] },
      ]);
    });

    it("reports a rename within a directory as old and new name, and a move as removed and added", async () => {
      const d = await mkdir(alice, top.id, "d");
      const f = await mkfile(alice, top.id, "f");
      const seen: unknown[] = [];
      svc.watchNames(({ dirId, name, action, id, isDir, renamed }) => seen.push({ dirId, name, action, id, isDir, renamed }));
      await svc.rename(alice, SHARE, top.id, "f", top.id, "g");
      await svc.rename(alice, SHARE, top.id, "g", d.id, "h");
      expect(seen).toEqual([
        { dirId: top.id, name: "f", action: "renamed-from", id: f.id, isDir: false, renamed: true },
        { dirId: top.id, name: "g", action: "renamed-to", id: f.id, isDir: false, renamed: true },
        { dirId: top.id, name: "g", action: "removed", id: f.id, isDir: false, renamed: true },
        { dirId: d.id, name: "h", action: "added", id: f.id, isDir: false, renamed: true },
      ]);
    });

    it("knows a file's name from its last lookup while watched, and a directory's from its parent", async () => {
      const d = await mkdir(alice, top.id, "d");
      const sub = await mkdir(alice, d.id, "sub");
      const f = await mkfile(alice, d.id, "f");
      expect(await svc.nameOf(SHARE, f.id)).toBeNull();
      expect(await svc.nameOf(SHARE, sub.id)).toEqual({ dirId: d.id, name: "sub" });
      expect(await svc.nameOf(SHARE, top.id)).toBeNull();
      const stop = svc.watchAttrs(() => {});
      await svc.lookup(alice, SHARE, d.id, "f");
      expect(await svc.nameOf(SHARE, f.id)).toEqual({ dirId: d.id, name: "f" });
      await svc.rename(alice, SHARE, d.id, "f", top.id, "moved");
      expect(await svc.nameOf(SHARE, f.id)).toEqual({ dirId: top.id, name: "moved" });
      await svc.remove(alice, SHARE, top.id, "moved");
      expect(await svc.nameOf(SHARE, f.id)).toBeNull();
      stop();
    });
  });

  describe("setAttr", () => {
    it("lets only the owner or root change the mode", async () => {
      const f = await mkfile(alice, top.id, "f", { mode: 0o666 });
      await expectFsError(svc.setAttr(bob, SHARE, f.id, { mode: 0o777 }, null), "Perm");
      expect((await svc.setAttr(alice, SHARE, f.id, { mode: 0o4755 }, null)).attr.mode).toBe(0o4755);
      expect((await svc.setAttr(root, SHARE, f.id, { mode: 0o600 }, null)).attr.mode).toBe(0o600);
    });

    it("clears setgid when a non-root owner outside the file's group sets it", async () => {
      const f = await mkfile(root, top.id, "f", { uid: 1000, gid: 77 });
      expect((await svc.setAttr(alice, SHARE, f.id, { mode: 0o2755 }, null)).attr.mode).toBe(0o755);
      await svc.setAttr(root, SHARE, f.id, { gid: 50 }, null);
      expect((await svc.setAttr(alice, SHARE, f.id, { mode: 0o2755 }, null)).attr.mode).toBe(0o2755);
      expect((await svc.setAttr(root, SHARE, f.id, { gid: 77 }, null)).attr.mode).toBe(0o755);
    });

    it("lets root give a file away, owners change group to their own groups only", async () => {
      const f = await mkfile(alice, top.id, "f", { mode: 0o6755 });
      await expectFsError(svc.setAttr(alice, SHARE, f.id, { uid: 2000 }, null), "Perm");
      await expectFsError(svc.setAttr(bob, SHARE, f.id, { gid: 2000 }, null), "Perm");
      await expectFsError(svc.setAttr(alice, SHARE, f.id, { gid: 2000 }, null), "Perm");
      const chgrp = await svc.setAttr(alice, SHARE, f.id, { gid: 50 }, null);
      expect(chgrp.attr).toMatchObject({ gid: 50, mode: 0o755 });
      await svc.setAttr(alice, SHARE, f.id, { mode: 0o4755 }, null);
      const chown = await svc.setAttr(root, SHARE, f.id, { uid: 2000, gid: 2000 }, null);
      expect(chown.attr).toMatchObject({ uid: 2000, gid: 2000, mode: 0o755 });
      const d = await mkdir(alice, top.id, "d", { mode: 0o2755 });
      expect((await svc.setAttr(root, SHARE, d.id, { uid: 2000 }, null)).attr.mode).toBe(0o2755);
    });

    it("needs write permission to change the size, and refuses sizes of non-files", async () => {
      const f = await mkfile(alice, top.id, "f", { mode: 0o644, size: 10 });
      await expectFsError(svc.setAttr(bob, SHARE, f.id, { size: 0 }, null), "Access");
      await svc.setAttr(alice, SHARE, f.id, { mode: 0o646 }, null);
      await age(f.id);
      const { attr } = await svc.setAttr(bob, SHARE, f.id, { size: 0 }, null);
      expect(attr.size).toBe(0);
      expect(attr.mtime).not.toEqual(OLD);
      expect(attr.ctime).toEqual(attr.mtime);
      await svc.setAttr(alice, SHARE, f.id, { mode: 0o444 }, null);
      expect((await svc.setAttr(alice, SHARE, f.id, { size: 7 }, null)).attr.size).toBe(7);
      const d = await mkdir(alice, top.id, "d");
      await expectFsError(svc.setAttr(alice, SHARE, d.id, { size: 0 }, null), "IsDir");
      await expectFsError(svc.setAttr(alice, SHARE, f.id, { size: -1 }, null), "Invalid");
    });

    it("lets writers touch times to now but only owners and root set explicit times", async () => {
      const f = await mkfile(alice, top.id, "f", { mode: 0o646 });
      const when = { sec: 12345, nsec: 678 };
      await age(f.id);
      const touched = await svc.setAttr(bob, SHARE, f.id, { atime: "now", mtime: "now" }, null);
      expect(touched.attr.mtime).not.toEqual(OLD);
      expect(touched.attr.atime).toEqual(touched.attr.mtime);
      await expectFsError(svc.setAttr(bob, SHARE, f.id, { mtime: when }, null), "Perm");
      await expectFsError(svc.setAttr(carol, SHARE, f.id, { mtime: "now" }, null), "Access");
      expect((await svc.setAttr(alice, SHARE, f.id, { mtime: when }, null)).attr.mtime).toEqual(when);
      expect((await svc.setAttr(root, SHARE, f.id, { atime: when }, null)).attr.atime).toEqual(when);
    });

    it("lets only owners and root set the creation time and DOS attributes, and only bits a node keeps", async () => {
      const before = timespecNow();
      const f = await mkfile(alice, top.id, "f", { mode: 0o666, dosAttributes: DOS_HIDDEN });
      expect(f.dosAttributes).toBe(DOS_HIDDEN);
      expect(f.birthtime).toEqual(f.ctime);
      const ns = (t: Timespec) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
      expect(ns(f.birthtime) > ns(before)).toBe(true);
      const when = { sec: 12345, nsec: 678 };
      await age(f.id);
      await expectFsError(svc.setAttr(bob, SHARE, f.id, { birthtime: when }, null), "Perm");
      await expectFsError(svc.setAttr(bob, SHARE, f.id, { dosAttributes: DOS_SYSTEM }, null), "Perm");
      await expectFsError(svc.setAttr(alice, SHARE, f.id, { dosAttributes: 0x10 }, null), "Invalid");
      await expectFsError(mkfile(alice, top.id, "g", { dosAttributes: 0x80 }), "Invalid");
      const set = await svc.setAttr(alice, SHARE, f.id, { birthtime: when, dosAttributes: DOS_SYSTEM | DOS_ARCHIVE }, null);
      expect(set.attr).toMatchObject({ birthtime: when, dosAttributes: DOS_SYSTEM | DOS_ARCHIVE, mtime: OLD });
      expect(set.attr.ctime).not.toEqual(OLD);
      expect((await svc.setAttr(root, SHARE, f.id, { dosAttributes: 0 }, null)).attr.dosAttributes).toBe(0);
      // SMB may set the change time itself; without one, a change sets it to now.
      await expectFsError(svc.setAttr(bob, SHARE, f.id, { ctime: when }, null), "Perm");
      expect((await svc.setAttr(alice, SHARE, f.id, { ctime: when, dosAttributes: DOS_HIDDEN }, null)).attr.ctime).toEqual(when);
      expect((await svc.setAttr(alice, SHARE, f.id, { ctime: OLD }, null)).attr.ctime).toEqual(OLD);
    });

    it("sets ctime on every change, returns wcc data, and honours the ctime guard", async () => {
      const f = await mkfile(alice, top.id, "f", { size: 9 });
      await age(f.id);
      const { wcc, attr } = await svc.setAttr(alice, SHARE, f.id, { mode: 0o600 }, null);
      expect(wcc.before).toEqual({ size: 9, mtime: OLD, ctime: OLD });
      expect(wcc.after).toEqual(attr);
      expect(attr.ctime).not.toEqual(OLD);
      expect(attr.mtime).toEqual(OLD);
      await expectFsError(svc.setAttr(alice, SHARE, f.id, { mode: 0o644 }, OLD), "NotSync");
      const guarded = await svc.setAttr(alice, SHARE, f.id, { mode: 0o644 }, attr.ctime);
      expect(guarded.attr.mode).toBe(0o644);
      const nothing = await svc.setAttr(bob, SHARE, f.id, {}, null);
      expect(nothing.attr).toEqual(guarded.attr);
      await expectFsError(svc.setAttr(alice, SHARE, "gone", { mode: 0o644 }, null), "Stale");
    });
  });

  describe("writes", () => {
    it("grows the size to the end of each write and sets mtime and ctime", async () => {
      const f = await mkfile(alice, top.id, "f");
      await age(f.id);
      const first = await svc.write(alice, SHARE, f.id, 100, async () => {});
      expect(first.wcc.before).toEqual({ size: 0, mtime: OLD, ctime: OLD });
      expect(first.attr.size).toBe(100);
      expect(first.attr.mtime).not.toEqual(OLD);
      expect(first.attr.ctime).toEqual(first.attr.mtime);
      expect((await svc.write(alice, SHARE, f.id, 50, async () => {})).attr.size).toBe(100);
    });

    it("marks a written file for backup (the DOS archive bit), keeping its other DOS attributes", async () => {
      const f = await mkfile(alice, top.id, "f", { mode: 0o666, dosAttributes: DOS_HIDDEN });
      expect((await svc.write(bob, SHARE, f.id, 10, async () => {})).attr.dosAttributes).toBe(DOS_HIDDEN | DOS_ARCHIVE);
      await svc.setAttr(alice, SHARE, f.id, { dosAttributes: DOS_HIDDEN }, null);
      expect((await svc.write(alice, SHARE, f.id, 20, async () => {})).attr.dosAttributes).toBe(DOS_HIDDEN | DOS_ARCHIVE);
    });

    it("never loses a larger size to concurrent writes", async () => {
      const f = await mkfile(alice, top.id, "f");
      const ends = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 200) * 4096 + 4096);
      const results = await Promise.all(ends.map((end) => svc.write(alice, SHARE, f.id, end, async () => {})));
      expect((await svc.getAttr(SHARE, f.id)).size).toBe(Math.max(...ends));
      // Serialized: every write saw the size the previous one left.
      const befores = results.map((r) => r.wcc.before!.size).sort((a, b) => a - b);
      const afters = results.map((r) => r.attr.size).sort((a, b) => a - b);
      expect(befores.slice(1)).toEqual(afters.slice(0, -1));
    });

    it("orders WRITEs against size changes and removal, across content and metadata", async () => {
      const events: string[] = [];
      const content = {
        resize: async (_share: string, _id: string, size: number) => void events.push(`resize ${size}`),
        release: async () => void events.push("release"),
        place: async () => {},
      };
      const ordered = new MetadataService(silentLogger, content);
      await ordered.registerShare({ name: "/o", store, readOnly: false, rootUid: 0, rootGid: 0, rootMode: 0o777 });
      const oroot = await ordered.root("/o");
      const f = (await ordered.create(alice, "/o", oroot.id, "f", { mode: "guarded", attrs: {} })).attr;
      let landed!: () => void;
      const landing = new Promise<void>((resolve) => (landed = resolve));
      const writing = ordered.write(alice, "/o", f.id, 10, async () => {
        events.push("write lands");
        await landing;
        events.push("write landed");
      });
      const truncating = ordered.setAttr(alice, "/o", f.id, { size: 0 }, null);
      const secondWrite = ordered.write(alice, "/o", f.id, 4, async () => void events.push("second write lands"));
      await new Promise((resolve) => setImmediate(resolve));
      expect(events).toEqual(["write lands"]);
      landed();
      await Promise.all([writing, truncating, secondWrite]);
      // The truncation waited for the first WRITE, the second WRITE for the truncation.
      expect(events).toEqual(["write lands", "write landed", "resize 0", "second write lands"]);
      expect((await ordered.getAttr("/o", f.id)).size).toBe(4);

      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const lastWrite = ordered.write(alice, "/o", f.id, 8, async () => {
        events.push("last write lands");
        await held;
      });
      const removing = ordered.remove(alice, "/o", oroot.id, "f");
      await new Promise((resolve) => setImmediate(resolve));
      expect(events.at(-1)).toBe("last write lands");
      release();
      // The name went at once; the WRITE that was landing finds its file gone, and only then
      // is the content released, so no bytes are left behind.
      await expectFsError(lastWrite, "Stale");
      await removing;
      expect(events.at(-1)).toBe("release");
      await expectFsError(ordered.write(alice, "/o", f.id, 1, async () => void events.push("never")), "Stale");
      expect(events).not.toContain("never");
    });

    it("keeps directory wcc data exact under concurrent changes", async () => {
      const d = await mkdir(alice, top.id, "d");
      const made = await Promise.all(Array.from({ length: 50 }, (_, i) => svc.mkdir(alice, SHARE, d.id, `d${i}`, {})));
      // Each mkdir adds one link to the parent, so nlink orders the changes; each one's "before"
      // must be exactly the previous one's "after".
      const chain = made.map((m) => m.dirWcc).sort((a, b) => a.after!.nlink - b.after!.nlink);
      expect(chain.map((w) => w.after!.nlink)).toEqual(Array.from({ length: 50 }, (_, i) => 3 + i));
      for (let i = 1; i < chain.length; i++) {
        const previous = chain[i - 1]!.after!;
        expect(chain[i]!.before).toEqual({ size: previous.size, mtime: previous.mtime, ctime: previous.ctime });
      }
    });
  });
});
