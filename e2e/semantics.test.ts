/**
 * File-system semantics through the C client (libnfs, NFSv3): rename, hard and symbolic links,
 * truncate, 64-bit offsets, unicode names, directories, removal — on both store pairs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import {
  type DigestJson,
  type HandleJson,
  type PatternJson,
  type RawJson,
  type StatJson,
  ERRNO,
  nfsLs,
  patternBytes,
  sha256,
} from "./helpers/nfsclient.mjs";

/** nfsstat3 (RFC 1813 §2.6). */
const NFS3ERR_FBIG = 27;
const NFS3ERR_STALE = 70;

const folder = mkdtempSync(join(tmpdir(), "dittofs-semantics-folder-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const STORES = [
  { name: "sqlite metadata and fs content", options: { metadata: "sqlite", content: "fs" } },
  { name: "memory metadata and memory content", options: { metadata: "memory", content: "memory" } },
  { name: "an existing folder (fs folder layout)", options: { metadata: "sqlite", content: { folder } } },
] as const;

describe.each(STORES)("semantics with $name", ({ options }) => {
  const dittofs = useDittofs(options);
  const client = () => dittofs().client();

  it("writes and reads back 5 MiB in several WRITE/READ calls, unstable + COMMIT and FILE_SYNC", async () => {
    const c = await client();
    const size = 5 * 1024 * 1024 + 3;
    for (const [name, mode, seed] of [
      ["/committed.bin", "commit", 1],
      ["/synced.bin", "sync", 2],
    ] as const) {
      const written = await c.json<PatternJson>("write-pattern", name, String(size), String(seed), mode);
      expect(written.sha256).toBe(sha256(patternBytes(0, size, seed)));
      expect(await c.json<DigestJson>("read-sha256", name)).toEqual({ size, sha256: written.sha256 });
    }
  });

  it("rename over an existing file replaces it", async () => {
    const c = await client();
    await c.bytes("write", "/victim.txt", "old content");
    await c.bytes("write", "/incoming.txt", "new content");
    const incoming = await c.json<StatJson>("stat", "/incoming.txt");

    await c.bytes("rename", "/incoming.txt", "/victim.txt");

    expect((await c.bytes("cat", "/victim.txt")).toString()).toBe("new content");
    expect((await c.json<StatJson>("stat", "/victim.txt")).ino).toBe(incoming.ino);
    expect(await c.errno("stat", "/incoming.txt")).toBe(ERRNO.ENOENT);
    const names = await c.lines("readdir", "/");
    expect(names.filter((n) => n === "victim.txt")).toHaveLength(1);
    expect(names).not.toContain("incoming.txt");
  });

  it("rename moves a directory with its contents", async () => {
    const c = await client();
    await c.bytes("mkdir", "/from");
    await c.bytes("mkdir", "/to");
    await c.bytes("write", "/from/inner.txt", "inside");

    await c.bytes("rename", "/from", "/to/moved");

    expect((await c.bytes("cat", "/to/moved/inner.txt")).toString()).toBe("inside");
    expect(await c.errno("stat", "/from")).toBe(ERRNO.ENOENT);
  });

  it("a hard link shares content and survives removal of the other name", async () => {
    const c = await client();
    await c.bytes("write", "/orig.txt", "shared bytes");
    await c.bytes("link", "/orig.txt", "/alias.txt");

    const orig = await c.json<StatJson>("stat", "/orig.txt");
    const alias = await c.json<StatJson>("stat", "/alias.txt");
    expect(orig.nlink).toBe(2);
    expect(alias.nlink).toBe(2);
    expect(alias.ino).toBe(orig.ino);

    await c.bytes("pwrite", "/alias.txt", "0", "SHARED");
    expect((await c.bytes("cat", "/orig.txt")).toString()).toBe("SHARED bytes");

    await c.bytes("unlink", "/orig.txt");
    expect(await c.json<StatJson>("stat", "/alias.txt")).toMatchObject({ nlink: 1, ino: orig.ino, size: 12 });
    expect((await c.bytes("cat", "/alias.txt")).toString()).toBe("SHARED bytes");
  });

  it("a symlink stores its target verbatim and resolves to it", async () => {
    const c = await client();
    await c.bytes("write", "/target.txt", "via the link");
    await c.bytes("symlink", "target.txt", "/link");
    await c.bytes("symlink", "/no/such/place", "/dangling");

    expect(await c.lines("readlink", "/link")).toEqual(["target.txt"]);
    expect(await c.lines("readlink", "/dangling")).toEqual(["/no/such/place"]);
    expect(await c.json<StatJson>("lstat", "/link")).toMatchObject({ type: "symlink", size: "target.txt".length });
    expect((await c.bytes("cat", "/link")).toString()).toBe("via the link");
    expect(await c.json<StatJson>("stat", "/link")).toMatchObject({ type: "file", size: 12 });
  });

  it("truncate down drops the tail; truncate up reads back zeros", async () => {
    const c = await client();
    await c.json("write-pattern", "/trunc.bin", "100000", "7");

    await c.bytes("truncate", "/trunc.bin", "1000");
    expect((await c.json<StatJson>("stat", "/trunc.bin")).size).toBe(1000);
    expect(await c.bytes("cat", "/trunc.bin")).toEqual(patternBytes(0, 1000, 7));

    await c.bytes("truncate", "/trunc.bin", "70000");
    expect((await c.json<StatJson>("stat", "/trunc.bin")).size).toBe(70000);
    const grown = await c.bytes("cat", "/trunc.bin");
    expect(grown.subarray(0, 1000)).toEqual(patternBytes(0, 1000, 7));
    expect(grown.subarray(1000)).toEqual(Buffer.alloc(69000));
  });

  it("writes and reads at a 64-bit offset (2^40 + 7), leaving a hole of zeros", async () => {
    const c = await client();
    const offset = 2 ** 40 + 7;
    await c.bytes("write", "/sparse.bin", "head");
    await c.bytes("pwrite", "/sparse.bin", String(offset), "tail-bytes");

    expect((await c.json<StatJson>("stat", "/sparse.bin")).size).toBe(offset + 10);
    expect((await c.bytes("pread", "/sparse.bin", String(offset), "10")).toString()).toBe("tail-bytes");
    expect(await c.bytes("pread", "/sparse.bin", String(offset - 4096), "4096")).toEqual(Buffer.alloc(4096));
    expect((await c.bytes("pread", "/sparse.bin", "0", "8")).toString()).toBe("head\0\0\0\0");
    expect(await c.bytes("pread", "/sparse.bin", String(offset + 10), "100")).toHaveLength(0);
  });

  it("keeps unicode names byte for byte", async () => {
    const c = await client();
    const dir = "/Ordner ✓ 日本";
    const name = "Ünïcødé ✓ 日本.txt";
    await c.bytes("mkdir", dir);
    await c.bytes("write", `${dir}/${name}`, "unicode content ✓");

    expect(await c.lines("readdir", dir)).toContain(name);
    expect((await c.bytes("cat", `${dir}/${name}`)).toString()).toBe("unicode content ✓");
    expect((await nfsLs(dittofs().url())).map((e) => e.name)).toContain(dir.slice(1));
    // NFC and NFD spellings are different names on the wire; only the one created exists.
    expect(await c.errno("stat", `${dir}/${name.normalize("NFD")}`)).toBe(ERRNO.ENOENT);
  });

  it("mkdir and rmdir: EEXIST, ENOTEMPTY, then gone", async () => {
    const c = await client();
    await c.bytes("mkdir", "/outer");
    await c.bytes("mkdir", "/outer/inner");
    expect(await c.json<StatJson>("stat", "/outer")).toMatchObject({ type: "dir" });

    expect(await c.errno("mkdir", "/outer")).toBe(ERRNO.EEXIST);
    expect(await c.errno("rmdir", "/outer")).toBe(ERRNO.ENOTEMPTY);

    await c.bytes("rmdir", "/outer/inner");
    await c.bytes("rmdir", "/outer");
    expect(await c.errno("stat", "/outer")).toBe(ERRNO.ENOENT);
    expect(await c.lines("readdir", "/")).not.toContain("outer");
  });

  it("remove deletes a file and refuses a directory", async () => {
    const c = await client();
    await c.bytes("write", "/doomed.txt", "bye");
    await c.bytes("unlink", "/doomed.txt");
    expect(await c.errno("stat", "/doomed.txt")).toBe(ERRNO.ENOENT);
    expect(await c.errno("unlink", "/doomed.txt")).toBe(ERRNO.ENOENT);
    expect(await c.lines("readdir", "/")).not.toContain("doomed.txt");

    await c.bytes("mkdir", "/not-a-file");
    expect(await c.errno("unlink", "/not-a-file")).not.toBe(0);
    expect(await c.json<StatJson>("stat", "/not-a-file")).toMatchObject({ type: "dir" });
  });

  it("chmod changes the permission bits", async () => {
    const c = await client();
    await c.bytes("write", "/mode.txt", "x");
    await c.bytes("chmod", "/mode.txt", "600");
    expect((await c.json<StatJson>("stat", "/mode.txt")).mode).toBe(0o600);
    await c.bytes("chmod", "/mode.txt", "751");
    expect((await c.json<StatJson>("stat", "/mode.txt")).mode).toBe(0o751);
  });

  it("exclusive create refuses an existing name with EEXIST", async () => {
    const c = await client();
    await c.bytes("create-excl", "/exclusive.txt");
    expect(await c.errno("create-excl", "/exclusive.txt")).toBe(ERRNO.EEXIST);
    expect(await c.json<StatJson>("stat", "/exclusive.txt")).toMatchObject({ type: "file", size: 0 });
  });

  it("accepts a 255-byte name and refuses a 256-byte one with ENAMETOOLONG", async () => {
    const c = await client();
    const longest = "é".repeat(127) + "x"; // 255 bytes of UTF-8
    await c.bytes("write", `/${longest}`, "long name");
    expect((await c.bytes("cat", `/${longest}`)).toString()).toBe("long name");
    expect(await c.errno("write", `/${longest}y`, "too long")).toBe(ERRNO.ENAMETOOLONG);
  });

  it("answers a removed file's handle with NFS3ERR_STALE", async () => {
    const c = await client();
    await c.bytes("write", "/ephemeral.txt", "soon gone");
    const { fh } = await c.json<HandleJson>("fh", "/ephemeral.txt");
    await c.bytes("unlink", "/ephemeral.txt");
    expect(await c.json<RawJson>("fh-getattr", fh)).toEqual({ status: NFS3ERR_STALE });
    expect(await c.json<RawJson>("fh-read", fh)).toEqual({ status: NFS3ERR_STALE });
  });

  it("refuses to move a directory into itself and to rename over a non-empty directory", async () => {
    const c = await client();
    await c.bytes("mkdir", "/parent");
    await c.bytes("mkdir", "/parent/child");
    expect(await c.errno("rename", "/parent", "/parent/child/loop")).toBe(ERRNO.EINVAL);

    await c.bytes("mkdir", "/full");
    await c.bytes("write", "/full/keep.txt", "kept");
    expect([ERRNO.ENOTEMPTY, ERRNO.EEXIST]).toContain(await c.errno("rename", "/parent", "/full"));
    expect((await c.bytes("cat", "/full/keep.txt")).toString()).toBe("kept");
    expect(await c.json<StatJson>("stat", "/parent/child")).toMatchObject({ type: "dir" });
  });

  it("reports ENOTDIR for a file used as a directory", async () => {
    const c = await client();
    await c.bytes("write", "/plain.txt", "not a directory");
    expect(await c.errno("readdir", "/plain.txt")).toBe(ERRNO.ENOTDIR);
    expect(await c.errno("stat", "/plain.txt/inside")).toBe(ERRNO.ENOTDIR);
    expect(await c.errno("mkdir", "/plain.txt/sub")).toBe(ERRNO.ENOTDIR);
  });

  it("refuses a WRITE beyond the largest file size with NFS3ERR_FBIG", async () => {
    const c = await client();
    await c.bytes("write", "/huge.bin", "x");
    const { fh } = await c.json<HandleJson>("fh", "/huge.bin");
    // Raw WRITE: libnfs' pwrite reports every failed WRITE as EFAULT, hiding the status.
    expect(await c.json<RawJson>("fh-write", fh, String(2n ** 62n), "y")).toEqual({ status: NFS3ERR_FBIG });
    expect((await c.json<StatJson>("stat", "/huge.bin")).size).toBe(1);
  });

  it("keeps four files written concurrently by four clients apart", async () => {
    const size = 4 * 1024 * 1024 + 17;
    const seeds = [21, 22, 23, 24];
    const clients = await Promise.all(seeds.map(() => client()));
    const written = await Promise.all(
      seeds.map((seed, i) => clients[i]!.json<PatternJson>("write-pattern", `/parallel-${seed}.bin`, String(size), String(seed))),
    );
    for (const [i, seed] of seeds.entries()) {
      expect(written[i]!.sha256).toBe(sha256(patternBytes(0, size, seed)));
      expect(await clients[0]!.json<DigestJson>("read-sha256", `/parallel-${seed}.bin`)).toEqual({ size, sha256: written[i]!.sha256 });
    }
  });

  it("shows UNSTABLE writes to another client before any COMMIT", async () => {
    const writer = await client();
    const size = 2 * 1024 * 1024 + 1;
    const written = await writer.json<PatternJson>("write-pattern", "/uncommitted.bin", String(size), "31", "unstable");
    const reader = await client();
    expect(await reader.json<DigestJson>("read-sha256", "/uncommitted.bin")).toEqual({ size, sha256: written.sha256 });
  });
});
