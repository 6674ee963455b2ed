/**
 * The fs store's folder layout through the C client (libnfs, NFSv3): an existing directory is
 * exported as it is. Files already there appear with their attributes, files written over NFS
 * land as plain files, changes other programs make on disk show up, handles survive a restart
 * and go stale when their file is replaced, and no hostile symlink made on disk leads outside.
 */
import { createHash } from "node:crypto";
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DittofsServer, startDittofs, writeDittofsConfig } from "./helpers/dittofs.mjs";
import { E2eServer, useDittofs } from "./helpers/harness.js";
import { fileSha256, nfsClient, writeRandomFile } from "./helpers/nfsclient.mjs";
import { freePort } from "./helpers/ports.mjs";
import { prepareSmb, smbclient, smbServer } from "./helpers/smb.js";
import { type HandleJson, type PatternJson, type RawJson, type StatJson, ERRNO, patternBytes, sha256 } from "./helpers/nfsclient.mjs";

/** nfsstat3 (RFC 1813 §2.6). */
const NFS3ERR_STALE = 70;

const base = mkdtempSync(join(tmpdir(), "dittofs-folder-"));
const folder = join(base, "export");
const outside = join(base, "outside");
mkdirSync(folder);
mkdirSync(outside);
/** Present before the server starts: it must show up as it is. */
mkdirSync(join(folder, "docs"));
writeFileSync(join(folder, "docs", "readme.txt"), "already here\n");
chmodSync(join(folder, "docs", "readme.txt"), 0o640);
utimesSync(join(folder, "docs", "readme.txt"), 1_600_000_000, 1_600_000_000);
symlinkSync("docs/readme.txt", join(folder, "shortcut"));

const CANARY = "outside the export\n";
const canaryPath = join(outside, "canary.txt");

afterAll(() => rmSync(base, { recursive: true, force: true }));

function diskSha(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

describe("folder layout", () => {
  const dittofs = useDittofs({ metadata: "sqlite", content: { folder, revalidateAfter: "0s" } });
  const client = () => dittofs().client();

  beforeEach(() => {
    writeFileSync(canaryPath, CANARY);
    chmodSync(canaryPath, 0o644);
  });

  it("shows the files already in the folder with their size, mode, times and link target", async () => {
    const c = await client();
    expect(await c.lines("readdir", "/")).toEqual(expect.arrayContaining(["docs", "shortcut"]));
    const st = await c.json<StatJson>("stat", "/docs/readme.txt");
    const disk = statSync(join(folder, "docs", "readme.txt"));
    expect(st).toMatchObject({ type: "file", size: 13, mode: 0o640, mtime: 1_600_000_000, uid: disk.uid, gid: disk.gid, nlink: 1 });
    expect((await c.bytes("cat", "/docs/readme.txt")).toString()).toBe("already here\n");
    expect(await c.lines("readlink", "/shortcut")).toEqual(["docs/readme.txt"]);
  });

  it("writes files over NFS as plain files with identical bytes, modes and names", async () => {
    const c = await client();
    const size = 3 * 1024 * 1024 + 17;
    await c.bytes("mkdir", "/written");
    const written = await c.json<PatternJson>("write-pattern", "/written/data.bin", String(size), "7", "commit");
    expect(written.sha256).toBe(sha256(patternBytes(0, size, 7)));
    expect(diskSha(join(folder, "written", "data.bin"))).toBe(written.sha256);
    await c.bytes("chmod", "/written/data.bin", "600");
    expect(statSync(join(folder, "written", "data.bin")).mode & 0o7777).toBe(0o600);
    await c.bytes("rename", "/written/data.bin", "/written/renamed.bin");
    expect(readdirSync(join(folder, "written"))).toEqual(["renamed.bin"]);
    await c.bytes("link", "/written/renamed.bin", "/written/hard.bin");
    expect(statSync(join(folder, "written", "hard.bin")).ino).toBe(statSync(join(folder, "written", "renamed.bin")).ino);
    await c.bytes("symlink", "renamed.bin", "/written/soft");
    expect(lstatSync(join(folder, "written", "soft")).isSymbolicLink()).toBe(true);
    await c.bytes("truncate", "/written/renamed.bin", "10");
    expect(statSync(join(folder, "written", "hard.bin")).size).toBe(10);
    for (const name of ["renamed.bin", "hard.bin", "soft"]) await c.bytes("unlink", `/written/${name}`);
    await c.bytes("rmdir", "/written");
    expect(existsSync(join(folder, "written"))).toBe(false);
  });

  it("sees files created, changed, renamed and removed on disk by other programs", async () => {
    const c = await client();
    await c.bytes("mkdir", "/outside-edits");
    const dir = join(folder, "outside-edits");
    writeFileSync(join(dir, "new.txt"), "made on disk");
    expect(await c.lines("readdir", "/outside-edits")).toContain("new.txt");
    expect((await c.bytes("cat", "/outside-edits/new.txt")).toString()).toBe("made on disk");
    const before = await c.json<HandleJson>("fh", "/outside-edits/new.txt");

    writeFileSync(join(dir, "new.txt"), "changed on disk, longer");
    expect((await c.json<StatJson>("stat", "/outside-edits/new.txt")).size).toBe(23);
    expect((await c.bytes("cat", "/outside-edits/new.txt")).toString()).toBe("changed on disk, longer");

    // A rename on disk keeps the file's handle.
    renameSync(join(dir, "new.txt"), join(dir, "moved.txt"));
    expect(await c.errno("stat", "/outside-edits/new.txt")).toBe(ERRNO.ENOENT);
    expect(await c.json<HandleJson>("fh", "/outside-edits/moved.txt")).toEqual(before);
    expect(await c.json<RawJson>("fh-read", before.fh)).toMatchObject({ status: 0, size: 23 });

    // So does a directory renamed on disk, and everything under it.
    await c.bytes("mkdir", "/outside-edits/sub");
    await c.bytes("write", "/outside-edits/sub/deep.txt", "deep");
    const subHandle = await c.json<HandleJson>("fh", "/outside-edits/sub");
    const deepHandle = await c.json<HandleJson>("fh", "/outside-edits/sub/deep.txt");
    renameSync(join(dir, "sub"), join(dir, "sub-renamed"));
    expect(await c.json<HandleJson>("fh", "/outside-edits/sub-renamed")).toEqual(subHandle);
    expect(await c.json<HandleJson>("fh", "/outside-edits/sub-renamed/deep.txt")).toEqual(deepHandle);
    expect(await c.json<RawJson>("fh-read", deepHandle.fh)).toMatchObject({ status: 0, sha256: sha256(Buffer.from("deep")) });
    expect(await c.errno("stat", "/outside-edits/sub")).toBe(ERRNO.ENOENT);

    rmSync(join(dir, "moved.txt"));
    expect(await c.lines("readdir", "/outside-edits")).not.toContain("moved.txt");
    expect(await c.json<RawJson>("fh-getattr", before.fh)).toEqual({ status: NFS3ERR_STALE });
  });

  it("gives a hard link made on disk the node of the file it links", async () => {
    const c = await client();
    await c.bytes("mkdir", "/linked");
    await c.bytes("write", "/linked/original.txt", "one file, two names");
    const original = await c.json<HandleJson>("fh", "/linked/original.txt");
    linkSync(join(folder, "linked", "original.txt"), join(folder, "linked", "second.txt"));
    expect(await c.json<HandleJson>("fh", "/linked/second.txt")).toEqual(original);
    expect(await c.json<HandleJson>("fh", "/linked/original.txt")).toEqual(original);
    expect((await c.json<StatJson>("stat", "/linked/second.txt")).nlink).toBe(2);
  });

  it("answers a handle whose file was replaced on disk by another with NFS3ERR_STALE", async () => {
    const c = await client();
    await c.bytes("write", "/replaced.txt", "first file");
    const first = await c.json<HandleJson>("fh", "/replaced.txt");
    rmSync(join(folder, "replaced.txt"));
    writeFileSync(join(folder, "replaced.txt"), "second file");
    expect(await c.json<RawJson>("fh-getattr", first.fh)).toEqual({ status: NFS3ERR_STALE });
    expect((await c.bytes("cat", "/replaced.txt")).toString()).toBe("second file");
  });

  it("keeps handles across a restart of the server", async () => {
    const c = await client();
    await c.bytes("write", "/kept.txt", "still here");
    const handle = await c.json<HandleJson>("fh", "/kept.txt");
    await dittofs().restart();
    const again = await client();
    expect(await again.json<RawJson>("fh-getattr", handle.fh)).toMatchObject({ status: 0, size: 10 });
    expect(await again.json<RawJson>("fh-read", handle.fh)).toMatchObject({ status: 0, sha256: sha256(Buffer.from("still here")) });
  });

  it("ends with the disk equal to a model after random operations from NFS and from the disk", async () => {
    const c = await client();
    const top = "/model";
    await c.bytes("mkdir", top);
    const rootOnDisk = join(folder, "model");
    /** path (relative to top, "" for it) → file text, symlink target, or a directory. */
    const model = new Map<string, { kind: "file"; text: string } | { kind: "dir" } | { kind: "link"; target: string }>([["", { kind: "dir" }]]);
    let seed = 12345;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const pick = (kind?: string) => {
      const paths = [...model].filter(([, v]) => !kind || v.kind === kind).map(([p]) => p);
      return paths.length ? paths[random(paths.length)]! : null;
    };
    const dirs = () => [...model].filter(([, v]) => v.kind === "dir").map(([p]) => p);
    const join2 = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
    const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
    for (let step = 0; step < 160; step++) {
      const dir = dirs()[random(dirs().length)]!;
      const name = `n${random(40)}`;
      const target = join2(dir, name);
      const op = random(9);
      if (op <= 1 && !model.has(target)) {
        const text = `text ${step} `.repeat(1 + random(50));
        await c.bytes("write", `${top}/${target}`, text);
        model.set(target, { kind: "file", text });
      } else if (op === 2 && !model.has(target)) {
        await c.bytes("mkdir", `${top}/${target}`);
        model.set(target, { kind: "dir" });
      } else if (op === 3) {
        const file = pick("file");
        if (!file) continue;
        const entry = model.get(file) as { kind: "file"; text: string };
        const extra = `+${step}`;
        await c.bytes("pwrite", `${top}/${file}`, String(Buffer.byteLength(entry.text)), extra);
        entry.text += extra;
      } else if (op === 4) {
        const from = pick();
        if (!from || from === "" || model.has(target) || under(target, from)) continue;
        await c.bytes("rename", `${top}/${from}`, `${top}/${target}`);
        for (const [path, value] of [...model]) {
          if (!under(path, from)) continue;
          model.delete(path);
          model.set(target + path.slice(from.length), value);
        }
      } else if (op === 5) {
        const victim = pick("file") ?? pick("link");
        if (!victim) continue;
        await c.bytes("unlink", `${top}/${victim}`);
        model.delete(victim);
      } else if (op === 6) {
        const empty = dirs().filter((d) => d !== "" && ![...model.keys()].some((p) => p !== d && under(p, d)));
        if (!empty.length) continue;
        const victim = empty[random(empty.length)]!;
        await c.bytes("rmdir", `${top}/${victim}`);
        model.delete(victim);
      } else if (op === 7 && !model.has(target)) {
        await c.bytes("symlink", `target-${step}`, `${top}/${target}`);
        model.set(target, { kind: "link", target: `target-${step}` });
      } else if (op === 8 && !model.has(target)) {
        // Another program writes into the folder; the next listing must pick it up.
        const text = `from disk ${step}`;
        writeFileSync(join(rootOnDisk, target), text);
        model.set(target, { kind: "file", text });
      }
    }
    const onDisk = new Map<string, unknown>();
    const walk = (rel: string) => {
      onDisk.set(rel, { kind: "dir" });
      for (const name of readdirSync(join(rootOnDisk, rel))) {
        const path = join2(rel, name);
        const full = join(rootOnDisk, path);
        const st = lstatSync(full);
        if (st.isDirectory()) walk(path);
        else if (st.isSymbolicLink()) onDisk.set(path, { kind: "link", target: readlinkSync(full) });
        else onDisk.set(path, { kind: "file", text: readFileSync(full, "utf8") });
      }
    };
    walk("");
    expect(Object.fromEntries([...onDisk].sort())).toEqual(Object.fromEntries([...model].sort()));
    // And NFS sees the same tree.
    for (const [path, value] of model) {
      if (value.kind === "file") expect((await c.bytes("cat", `${top}/${path}`)).toString(), path).toBe(value.text);
      if (value.kind === "dir") {
        const names = (await c.lines("readdir", `${top}/${path}`)).filter((n) => n !== "." && n !== "..").sort();
        const children = [...model.keys()].filter((p) => p !== "" && p.slice(0, Math.max(0, p.lastIndexOf("/"))) === path);
        expect(names, path).toEqual(children.map((p) => p.split("/").at(-1)!).sort());
      }
    }
  });

  describe("never leads outside the folder, whatever symlinks are made on disk", () => {
    const outsideUnchanged = () => {
      expect(readFileSync(canaryPath, "utf8")).toBe(CANARY);
      expect(statSync(canaryPath).mode & 0o7777).toBe(0o644);
      expect(readdirSync(outside).sort()).toEqual(["canary.txt"]);
    };

    it("does not follow a symlinked directory, absolute or climbing with ..", async () => {
      symlinkSync(outside, join(folder, "abs-escape"));
      symlinkSync("../outside", join(folder, "rel-escape"));
      symlinkSync("/", join(folder, "root-escape"));
      const c = await client();
      for (const link of ["abs-escape", "rel-escape", "root-escape"]) {
        expect((await c.json<StatJson>("lstat", `/${link}`)).type).toBe("symlink");
        for (const path of [`/${link}/canary.txt`, `/${link}/outside/canary.txt`]) {
          expect(await c.run("cat", path).then((r) => r.code)).not.toBe(0);
          expect(await c.run("write", path, "overwritten").then((r) => r.code)).not.toBe(0);
        }
        expect(await c.run("mkdir", `/${link}/made`).then((r) => r.code)).not.toBe(0);
        expect(await c.run("write", `/${link}/new.txt`, "x").then((r) => r.code)).not.toBe(0);
        expect(await c.run("rename", "/docs/readme.txt", `/${link}/stolen.txt`).then((r) => r.code)).not.toBe(0);
      }
      outsideUnchanged();
      expect(readFileSync(join(folder, "docs", "readme.txt"), "utf8")).toBe("already here\n");
    });

    it("does not write, truncate or chmod through a symlink to a file outside", async () => {
      symlinkSync(canaryPath, join(folder, "file-escape"));
      const c = await client();
      // libnfs follows the link itself for these; the server must still only act on the link.
      await c.run("truncate", "/file-escape", "0");
      await c.run("chmod", "/file-escape", "777");
      await c.run("pwrite", "/file-escape", "0", "overwritten");
      await c.run("link", "/file-escape", "/hard-escape");
      outsideUnchanged();
      if (existsSync(join(folder, "hard-escape"))) expect(lstatSync(join(folder, "hard-escape")).isSymbolicLink()).toBe(true);
    });

    it("does not follow a directory swapped for a symlink after the client looked it up", async () => {
      const c = await client();
      await c.bytes("mkdir", "/swapped");
      await c.bytes("write", "/swapped/inside.txt", "inside");
      const handle = await c.json<HandleJson>("fh", "/swapped/inside.txt");
      renameSync(join(folder, "swapped"), join(base, "swapped-away"));
      symlinkSync(outside, join(folder, "swapped"));
      expect(await c.run("cat", "/swapped/canary.txt").then((r) => r.code)).not.toBe(0);
      expect(await c.run("write", "/swapped/inside.txt", "redirected").then((r) => r.code)).not.toBe(0);
      // Its path now leads through a symlink: the old handle is stale, not a way out.
      expect(await c.json<RawJson>("fh-read", handle.fh)).toEqual({ status: NFS3ERR_STALE });
      expect(await c.json<RawJson>("fh-write", handle.fh, "0", "redirected")).toEqual({ status: NFS3ERR_STALE });
      expect(readFileSync(join(base, "swapped-away", "inside.txt"), "utf8")).toBe("inside");
      outsideUnchanged();
    });
  });
});

describe("folder layout over SMB", () => {
  const smbFolder = join(base, "smb-export");
  mkdirSync(smbFolder);
  writeFileSync(join(smbFolder, "before.txt"), "on disk before the server\n");
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  let server: E2eServer;
  let port: number;

  beforeAll(async () => {
    await prepareSmb();
    port = await freePort();
    const [options, env] = smbServer(port, [{ name: "alice", password: "folder secret", uid, gid }], [{ name: "/export", root: { uid, gid, mode: 0o755 } }]);
    server = await E2eServer.start({ ...options, metadata: "sqlite", content: { folder: smbFolder } }, env);
  });
  afterAll(() => server?.dispose());

  it("lists the files already there, and puts a file written with parallel WRITEs on disk byte for byte", async () => {
    const login = { port, user: "alice", password: "folder secret" };
    const work = mkdtempSync(join(base, "smb-work-"));
    const source = join(work, "up.bin");
    const sha = writeRandomFile(source, 9 * 1024 * 1024 + 5);
    const listing = await smbclient(login, "export", `ls; put up.bin up.bin; mkdir sub; rename up.bin sub\\up.bin; get before.txt before.back`, [], work);
    expect(listing).toContain("before.txt");
    expect(await fileSha256(join(smbFolder, "sub", "up.bin"))).toBe(sha);
    expect(readFileSync(join(work, "before.back"), "utf8")).toBe("on disk before the server\n");
  });
});

describe("folder layout served by an ordinary user", () => {
  const NOBODY = { uid: 65534, gid: 65534 };
  const dir = join(base, "as-nobody");
  const exported = join(dir, "export");
  let server: DittofsServer;
  let url: string;

  beforeAll(async () => {
    // mkdtemp made the base directory for root alone; nobody must be able to reach its own part.
    chmodSync(base, 0o755);
    mkdirSync(exported, { recursive: true });
    writeFileSync(join(exported, "mine.txt"), "the server user's own file");
    for (const path of [dir, exported, join(exported, "mine.txt")]) chownSync(path, NOBODY.uid, NOBODY.gid);
    const nfsPort = await freePort();
    const config = writeDittofsConfig(dir, { nfsPort, metadata: "sqlite", content: { folder: exported, revalidateAfter: "0s" } });
    chownSync(config, NOBODY.uid, NOBODY.gid);
    server = await startDittofs(config, { user: NOBODY });
    url = server.url({});
  });
  afterAll(() => server?.stop());

  it("keeps the owners clients set in its index and shows them, while the files on disk stay the server user's", async () => {
    if (process.getuid?.() !== 0) throw new Error("this test starts the server as nobody and must run as root");
    const c = await nfsClient(url);
    expect(await c.json<StatJson>("stat", "/mine.txt")).toMatchObject({ uid: NOBODY.uid, gid: NOBODY.gid });
    // The client acts as root (AUTH_SYS uid 0, no squashing): its new file is root's over NFS.
    await c.bytes("write", "/made.txt", "made over NFS");
    expect(await c.json<StatJson>("stat", "/made.txt")).toMatchObject({ uid: 0, gid: 0 });
    expect(statSync(join(exported, "made.txt"))).toMatchObject({ uid: NOBODY.uid, gid: NOBODY.gid });
    const restarted = await startAgain();
    const again = await nfsClient(restarted);
    expect(await again.json<StatJson>("stat", "/made.txt")).toMatchObject({ uid: 0, gid: 0 });
    expect(await again.json<StatJson>("stat", "/mine.txt")).toMatchObject({ uid: NOBODY.uid });
  });

  async function startAgain(): Promise<string> {
    await server.stop();
    server = await startDittofs(server.configPath, { user: NOBODY });
    return server.url({});
  }
});

