/**
 * Access control as a real client sees it: a read-only share refuses every change and keeps its
 * data; in a share owned by another uid, AUTH_SYS identities get the permission errors POSIX
 * modes call for, and root is squashed to the anonymous uid.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import { type DigestJson, type HandleJson, type RawJson, type StatJson, ERRNO, nfsCp } from "./helpers/nfsclient.mjs";

/** nfsstat3 values (RFC 1813 §2.6). */
const NFS3ERR_ACCES = 13;
const NFS3ERR_ROFS = 30;

describe("a read-only share", () => {
  const dittofs = useDittofs({ shares: [{ name: "/ro" }] });
  let before: { digest: DigestJson; names: string[]; handle: HandleJson };

  beforeAll(async () => {
    const writer = await dittofs().client({ share: "/ro" });
    await writer.json("write-pattern", "/data.bin", "300000", "5");
    await writer.bytes("mkdir", "/dir");
    await writer.bytes("write", "/dir/note.txt", "keep me");
    before = {
      digest: await writer.json<DigestJson>("read-sha256", "/data.bin"),
      names: (await writer.lines("readdir", "/")).sort(),
      handle: await writer.json<HandleJson>("fh", "/data.bin"),
    };
    await dittofs().restart({ shares: [{ name: "/ro", readOnly: true }] });
  });

  it("refuses every kind of change with EROFS (or EACCES)", async () => {
    const c = await dittofs().client({ share: "/ro" });
    const attempts: string[][] = [
      ["write", "/new.txt", "nope"],
      ["write", "/data.bin", "overwrite"],
      ["pwrite", "/data.bin", "0", "XXXX"],
      ["truncate", "/data.bin", "0"],
      ["unlink", "/data.bin"],
      ["unlink", "/dir/note.txt"],
      ["mkdir", "/newdir"],
      ["rmdir", "/dir"],
      ["rename", "/data.bin", "/renamed.bin"],
      ["link", "/data.bin", "/hardlink"],
      ["symlink", "data.bin", "/symlink"],
      ["chmod", "/data.bin", "600"],
    ];
    for (const attempt of attempts) {
      expect([ERRNO.EROFS, ERRNO.EACCES], attempt.join(" ")).toContain(await c.errno(...attempt));
    }
  });

  it("answers a raw FILE_SYNC WRITE with NFS3ERR_ROFS", async () => {
    const c = await dittofs().client({ share: "/ro" });
    expect(await c.json<RawJson>("fh-write", before.handle.fh, "0", "XXXX")).toEqual({ status: NFS3ERR_ROFS });
  });

  it("refuses nfs-cp into it", async () => {
    await expect(nfsCp(dittofs().configPath, dittofs().url({ share: "/ro", path: "/copied.yaml" }))).rejects.toThrow();
  });

  it("still serves its data, unchanged", async () => {
    const c = await dittofs().client({ share: "/ro" });
    expect(await c.json<DigestJson>("read-sha256", "/data.bin")).toEqual(before.digest);
    expect((await c.lines("readdir", "/")).sort()).toEqual(before.names);
    expect((await c.bytes("cat", "/dir/note.txt")).toString()).toBe("keep me");
  });
});

describe("a share owned by another uid", () => {
  const OWNER = { uid: 4242, gid: 4242 };
  const STRANGER = { uid: 1000, gid: 1000 };
  const ANONYMOUS_UID = 65534;
  const dittofs = useDittofs({
    shares: [{ name: "/owned", rootSquash: true, root: { ...OWNER, mode: 0o755 } }],
  });
  const as = (who: { uid?: number; gid?: number }) => dittofs().client({ share: "/owned", ...who });
  let privateHandle: string;
  let publicHandle: string;

  beforeAll(async () => {
    const owner = await as(OWNER);
    await owner.bytes("write", "/public.txt", "everyone may read this");
    await owner.bytes("write", "/private.txt", "owner only");
    await owner.bytes("chmod", "/private.txt", "600");
    await owner.bytes("mkdir", "/dropbox");
    await owner.bytes("chmod", "/dropbox", "777");
    await owner.bytes("mkdir", "/listonly");
    await owner.bytes("write", "/listonly/inside.txt", "listed, not searched");
    await owner.bytes("chmod", "/listonly", "744");
    privateHandle = (await owner.json<HandleJson>("fh", "/private.txt")).fh;
    publicHandle = (await owner.json<HandleJson>("fh", "/public.txt")).fh;
  });

  it("gives the owner's files the owner's uid and gid", async () => {
    const owner = await as(OWNER);
    expect(await owner.json<StatJson>("stat", "/private.txt")).toMatchObject({ ...OWNER, mode: 0o600 });
    expect(await owner.json<StatJson>("stat", "/")).toMatchObject({ ...OWNER, mode: 0o755, type: "dir" });
  });

  it("does not let another uid create, remove or rename in the owner's directory", async () => {
    const stranger = await as(STRANGER);
    expect(await stranger.errno("write", "/mine.txt", "x")).toBe(ERRNO.EACCES);
    expect(await stranger.errno("mkdir", "/mine")).toBe(ERRNO.EACCES);
    expect(await stranger.errno("unlink", "/public.txt")).toBe(ERRNO.EACCES);
    expect(await stranger.errno("rename", "/public.txt", "/taken.txt")).toBe(ERRNO.EACCES);
    expect(await stranger.lines("readdir", "/")).not.toContain("mine.txt");
  });

  it("lets another uid read a 0644 file but not write it", async () => {
    const stranger = await as(STRANGER);
    expect((await stranger.bytes("cat", "/public.txt")).toString()).toBe("everyone may read this");
    expect(await stranger.errno("pwrite", "/public.txt", "0", "defaced")).toBe(ERRNO.EACCES);
    expect(await stranger.json<RawJson>("fh-write", publicHandle, "0", "defaced")).toEqual({ status: NFS3ERR_ACCES });
    expect((await (await as(OWNER)).bytes("cat", "/public.txt")).toString()).toBe("everyone may read this");
  });

  it("does not let another uid read a 0600 file, even by handle", async () => {
    const stranger = await as(STRANGER);
    expect(await stranger.errno("cat", "/private.txt")).toBe(ERRNO.EACCES);
    expect(await stranger.json<RawJson>("fh-read", privateHandle)).toEqual({ status: NFS3ERR_ACCES });
  });

  it("tells clients in FSINFO and PATHCONF that the share holds hard and symbolic links", async () => {
    const owner = await as(OWNER);
    // FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME (RFC 1813 §3.3.19).
    expect(await owner.json("fsinfo", "/public.txt")).toEqual({ status: 0, properties: 0x1b, linkmax: 65535 });
  });

  it("lets another uid list a directory it may read but not search", async () => {
    const stranger = await as(STRANGER);
    // r-- for others: the names are readable (".." comes without a lookup), the file is not.
    expect((await stranger.lines("readdir", "/listonly")).sort()).toEqual([".", "..", "inside.txt"]);
    expect(await stranger.errno("cat", "/listonly/inside.txt")).toBe(ERRNO.EACCES);
  });

  it("does not let another uid change the mode of the owner's file", async () => {
    const stranger = await as(STRANGER);
    expect(await stranger.errno("chmod", "/public.txt", "666")).toBe(ERRNO.EPERM);
    expect((await (await as(OWNER)).json<StatJson>("stat", "/public.txt")).mode).toBe(0o644);
  });

  it("squashes root to the anonymous uid", async () => {
    const root = await as({ uid: 0, gid: 0 });
    expect(await root.errno("write", "/root.txt", "x")).toBe(ERRNO.EACCES);
    expect(await root.errno("cat", "/private.txt")).toBe(ERRNO.EACCES);
    expect(await root.json<RawJson>("fh-read", privateHandle)).toEqual({ status: NFS3ERR_ACCES });

    await root.bytes("write", "/dropbox/from-root.txt", "squashed");
    expect((await root.json<StatJson>("stat", "/dropbox/from-root.txt")).uid).toBe(ANONYMOUS_UID);
  });
});
