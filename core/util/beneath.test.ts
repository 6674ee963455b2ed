import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isFsError } from "../errors.js";
import { type BeneathCalls, BeneathRoot, type BeneathStrategy, type Names } from "./beneath.js";

let base: string;
let root: string;
let outside: string;
const opened: BeneathRoot[] = [];

/** Secret bytes in the "outside" directory: no operation below the root may read, change or move them. */
const CANARY = "canary bytes outside the root";

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "dittofs-beneath-"));
  root = path.join(base, "root");
  outside = path.join(base, "outside");
  fs.mkdirSync(root);
  fs.mkdirSync(path.join(outside, "dir"), { recursive: true });
  fs.writeFileSync(path.join(outside, "canary"), CANARY, { mode: 0o640 });
  fs.symlinkSync("canary", path.join(outside, "olink"));
  fs.utimesSync(path.join(outside, "canary"), 1_000_000_000, 1_000_000_000);
});

afterEach(async () => {
  for (const beneath of opened.splice(0)) await beneath.close();
  fs.rmSync(base, { recursive: true, force: true });
});

async function openRoot(strategy?: BeneathStrategy, calls?: BeneathCalls): Promise<BeneathRoot> {
  const beneath = await BeneathRoot.open(root, { ...(strategy && { strategy }), ...(calls && { calls }) });
  opened.push(beneath);
  return beneath;
}

/** Everything a stray operation could change in a tree: names, types, bytes, modes, owners, links, times. */
function snapshot(dir: string): string[] {
  const lines: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    const s = fs.lstatSync(file, { bigint: true });
    let what = "";
    if (s.isSymbolicLink()) what = `-> ${fs.readlinkSync(file)}`;
    else if (s.isFile()) what = JSON.stringify(fs.readFileSync(file, "utf8"));
    lines.push(`${name} ${s.mode.toString(8)} ${s.uid}:${s.gid} n${s.nlink} m${s.mtimeNs} c${s.ctimeNs} ${what}`);
    if (s.isDirectory()) lines.push(...snapshot(file).map((line) => `${name}/${line}`));
  }
  return lines;
}

/** The FsError code an operation failed with, or "ok". */
async function outcome(op: () => Promise<unknown>): Promise<string> {
  try {
    const result = await op();
    if (result && typeof result === "object" && "close" in result) await (result as fs.promises.FileHandle).close();
    return "ok";
  } catch (err) {
    if (!isFsError(err)) throw err;
    return err.code;
  }
}

const own = { uid: process.getuid!(), gid: process.getgid!() };

/** Every operation, aimed at `dir` (a directory path) and at the names in it. */
function everyOperation(beneath: BeneathRoot, dir: Names): Record<string, () => Promise<unknown>> {
  const at = (name: string): Names => [...dir, name];
  return {
    lstat: () => beneath.lstat(at("canary")),
    readdir: () => beneath.readdir(dir),
    openRead: () => beneath.openFile(at("canary"), "r"),
    openWrite: () => beneath.openFile(at("canary"), "r+"),
    createFile: () => beneath.createFile(at("planted"), 0o644),
    mkdir: () => beneath.mkdir(at("planted-dir"), 0o755),
    symlink: () => beneath.symlink(at("planted-link"), "/etc/passwd"),
    readlink: () => beneath.readlink(at("olink")),
    unlink: () => beneath.unlink(at("canary")),
    rmdir: () => beneath.rmdir(at("dir")),
    renameOut: () => beneath.rename(at("canary"), ["stolen"]),
    renameIn: () => beneath.rename(["inside"], at("planted-by-rename")),
    linkOut: () => beneath.link(at("canary"), ["stolen-link"]),
    linkIn: () => beneath.link(["inside"], at("planted-by-link")),
    chmod: () => beneath.chmod(at("canary"), 0o777),
    chown: () => beneath.chown(at("canary"), own.uid, own.gid),
    utimes: () => beneath.utimes(at("canary"), 2_000_000_000, 2_000_000_000),
    truncate: () => beneath.truncate(at("canary"), 0),
    fsyncFile: () => beneath.fsync(at("canary")),
    fsyncDir: () => beneath.fsync(dir),
  };
}

async function outcomes(ops: Record<string, () => Promise<unknown>>): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const [name, op] of Object.entries(ops)) result[name] = await outcome(op);
  return result;
}

describe.each<[BeneathStrategy, BeneathCalls]>([
  ["proc-fd", "sync"],
  ["proc-fd", "threadpool"],
  ["lstat-check", "sync"],
  ["lstat-check", "threadpool"],
])("BeneathRoot (%s, %s calls)", (strategy, calls) => {
  for (const prefix of [[], ["a"], ["a", "b", "c"]] as Names[]) {
    it(`does every operation at depth ${prefix.length}`, async () => {
      const beneath = await openRoot(strategy, calls);
      for (let i = 0; i < prefix.length; i++) await beneath.mkdir(prefix.slice(0, i + 1), 0o755);
      const at = (...names: string[]): Names => [...prefix, ...names];

      await beneath.createFile(at("f"), 0o640);
      expect(fs.statSync(path.join(root, ...at("f"))).size).toBe(0);
      const created = await beneath.openFile(at("f"), "r+");
      await created.write("hello world");
      await created.close();
      await expect(beneath.createFile(at("f"), 0o640)).rejects.toSatisfy((e) => isFsError(e, "Exists"));
      expect(fs.readFileSync(path.join(root, ...at("f")), "utf8")).toBe("hello world");
      expect((await beneath.lstat(at("f"))).size).toBe(11n);
      expect((await beneath.lstat(prefix)).isDirectory()).toBe(true);

      const reader = await beneath.openFile(at("f"), "r");
      expect((await reader.read(Buffer.alloc(5), 0, 5, 0)).buffer.toString()).toBe("hello");
      await reader.close();
      const writer = await beneath.openFile(at("f"), "r+");
      await writer.write("J", 0);
      await writer.close();
      expect(fs.readFileSync(path.join(root, ...at("f")), "utf8")).toBe("Jello world");

      await beneath.truncate(at("f"), 5);
      expect(fs.readFileSync(path.join(root, ...at("f")), "utf8")).toBe("Jello");
      await beneath.chmod(at("f"), 0o604);
      expect(fs.statSync(path.join(root, ...at("f"))).mode & 0o7777).toBe(0o604);
      const owner = own.uid === 0 ? { uid: 1234, gid: 5678 } : own;
      await beneath.chown(at("f"), owner.uid, owner.gid);
      const chowned = await beneath.lstat(at("f"));
      expect([chowned.uid, chowned.gid]).toEqual([BigInt(owner.uid), BigInt(owner.gid)]);
      await beneath.utimes(at("f"), 1_500_000_000n * 1_000_000_000n + 250_000n, new Date(1_600_000_000_000));
      const timed = await beneath.lstat(at("f"));
      expect(timed.mtimeNs).toBe(1_600_000_000n * 1_000_000_000n);
      expect(Number(timed.atimeNs - 1_500_000_000n * 1_000_000_000n - 250_000n)).toBeLessThan(1000);

      await beneath.mkdir(at("d"), 0o750);
      expect((await beneath.lstat(at("d"))).isDirectory()).toBe(true);
      await beneath.symlink(at("l"), "../somewhere/else");
      expect(await beneath.readlink(at("l"))).toBe("../somewhere/else");
      expect((await beneath.lstat(at("l"))).isSymbolicLink()).toBe(true);
      await beneath.link(at("f"), at("h"));
      expect((await beneath.lstat(at("h"))).ino).toBe((await beneath.lstat(at("f"))).ino);
      expect((await beneath.readdir(prefix)).sort()).toEqual(["d", "f", "h", "l"]);

      await beneath.rename(at("h"), at("h2"));
      await beneath.rename(at("h2"), ["moved"]);
      expect((await beneath.lstat(["moved"])).nlink).toBe(2n);
      await beneath.fsync(at("f"));
      await beneath.fsync(prefix);
      await beneath.utimes(prefix, 1_000, 1_000);
      expect((await beneath.lstat(prefix)).mtimeMs).toBe(1_000_000n);

      await beneath.unlink(["moved"]);
      await beneath.unlink(at("f"));
      await beneath.unlink(at("l"));
      await beneath.rmdir(at("d"));
      await expect(beneath.lstat(at("f"))).rejects.toSatisfy((e) => isFsError(e, "NotFound"));
      await expect(beneath.rmdir(at("d"))).rejects.toSatisfy((e) => isFsError(e, "NotFound"));
      expect(await beneath.readdir(prefix)).toEqual([]);
    });
  }

  it("refuses a symlink in the middle of a path, for every operation, whatever it points to", async () => {
    fs.writeFileSync(path.join(root, "inside"), "inside");
    fs.mkdirSync(path.join(root, "sub"));
    fs.symlinkSync(outside, path.join(root, "out"));
    fs.symlinkSync("../outside", path.join(root, "up"));
    fs.symlinkSync("../../outside", path.join(root, "sub", "climb"));
    fs.symlinkSync("..", path.join(root, "dotdot"));
    fs.symlinkSync("/", path.join(root, "slash"));
    const before = snapshot(base);
    const beneath = await openRoot(strategy, calls);
    // Each of these names the outside directory when its symlink is followed.
    const hostile: Names[] = [
      ["out"],
      ["up"],
      ["sub", "climb"],
      ["dotdot", "outside"],
      ["slash", ...outside.split(path.sep).filter(Boolean)],
    ];
    for (const dir of hostile) {
      const results = await outcomes(everyOperation(beneath, dir));
      // fsyncDir names the directory itself: a symlink there is a node fsync refuses (Invalid).
      const lastIsSymlink = fs.lstatSync(path.join(root, ...dir)).isSymbolicLink();
      const refused = Object.fromEntries(
        Object.keys(results).map((op) => [op, op === "fsyncDir" && lastIsSymlink ? "Invalid" : "NotDir"]),
      );
      expect({ dir, results }).toEqual({ dir, results: refused });
    }
    expect(snapshot(base)).toEqual(before);
  });

  it("never follows a symlink as the last name: the outside file keeps its bytes, mode, owner, links and times", async () => {
    fs.symlinkSync(path.join(outside, "canary"), path.join(root, "abs"));
    fs.symlinkSync("../outside/canary", path.join(root, "rel"));
    fs.symlinkSync(outside, path.join(root, "dirlink"));
    const outsideBefore = snapshot(outside);
    const beneath = await openRoot(strategy, calls);
    for (const link of ["abs", "rel"]) {
      const results = await outcomes({
        openRead: () => beneath.openFile([link], "r"),
        openWrite: () => beneath.openFile([link], "r+"),
        truncate: () => beneath.truncate([link], 0),
        chmod: () => beneath.chmod([link], 0o777),
        fsync: () => beneath.fsync([link]),
        readdir: () => beneath.readdir([link]),
        rmdir: () => beneath.rmdir([link]),
        createFile: () => beneath.createFile([link], 0o644),
        mkdir: () => beneath.mkdir([link], 0o755),
        symlink: () => beneath.symlink([link], "x"),
        chown: () => beneath.chown([link], own.uid, own.gid),
        utimes: () => beneath.utimes([link], 3_000, 3_000),
        link: () => beneath.link([link], [`${link}-hard`]),
        rename: () => beneath.rename([link], [`${link}-moved`]),
      });
      expect({ link, results }).toEqual({
        link,
        results: {
          openRead: "Invalid",
          openWrite: "Invalid",
          truncate: "Invalid",
          chmod: "NotSupported",
          fsync: "Invalid",
          readdir: "NotDir",
          rmdir: "NotDir",
          createFile: "Exists",
          mkdir: "Exists",
          symlink: "Exists",
          chown: "ok",
          utimes: "ok",
          link: "ok",
          rename: "ok",
        },
      });
      // chown, utimes, link and rename acted on the symlink itself.
      const moved = await beneath.lstat([`${link}-moved`]);
      expect(moved.isSymbolicLink()).toBe(true);
      expect(moved.mtimeMs).toBe(3_000_000n);
      expect((await beneath.lstat([`${link}-hard`])).ino).toBe(moved.ino);
      expect(await beneath.readlink([`${link}-hard`])).toBe(fs.readlinkSync(path.join(root, `${link}-moved`)));
      await beneath.unlink([`${link}-hard`]);
    }
    expect(await outcomes({
      readdir: () => beneath.readdir(["dirlink"]),
      rmdir: () => beneath.rmdir(["dirlink"]),
      chmod: () => beneath.chmod(["dirlink"], 0o700),
      fsync: () => beneath.fsync(["dirlink"]),
      unlink: () => beneath.unlink(["dirlink"]),
    })).toEqual({ readdir: "NotDir", rmdir: "NotDir", chmod: "NotSupported", fsync: "Invalid", unlink: "ok" });
    expect(snapshot(outside)).toEqual(outsideBefore);
  });

  it("refuses names that are not a single name, for every operation", async () => {
    fs.writeFileSync(path.join(root, "inside"), "inside");
    const before = snapshot(base);
    const beneath = await openRoot(strategy, calls);
    const bad: Array<[unknown, string]> = [
      ["..", "Invalid"],
      [".", "Invalid"],
      ["a/b", "Invalid"],
      ["../outside", "Invalid"],
      ["", "Invalid"],
      ["x\0y", "Invalid"],
      [42, "Invalid"],
      ["é".repeat(128), "NameTooLong"],
    ];
    for (const [name, code] of bad) {
      // As the directory of every operation (so "..": root/../canary...), and as the last name.
      for (const dir of [[name], [name, "outside"], ["inside", name]] as Names[]) {
        const results = await outcomes(everyOperation(beneath, dir));
        const expected = Object.fromEntries(Object.keys(results).map((op) => [op, code]));
        expect({ name, dir, results }).toEqual({ name, dir, results: expected });
      }
    }
    expect(await outcome(() => beneath.symlink(["l"], "a\0b"))).toBe("Invalid");
    expect(await outcome(() => beneath.lstat("inside" as unknown as Names))).toBe("Invalid");
    expect(snapshot(base)).toEqual(before);
    // The longest name allowed works.
    await beneath.createFile(["é".repeat(127) + "x"], 0o644);
  });

  it("refuses to remove, rename or replace the root itself", async () => {
    const beneath = await openRoot(strategy, calls);
    expect(await outcomes({
      unlink: () => beneath.unlink([]),
      rmdir: () => beneath.rmdir([]),
      renameFrom: () => beneath.rename([], ["x"]),
      renameTo: () => beneath.rename(["x"], []),
      createFile: () => beneath.createFile([], 0o644),
      mkdir: () => beneath.mkdir([], 0o755),
      openFile: () => beneath.openFile([], "r"),
      truncate: () => beneath.truncate([], 0),
    })).toEqual({
      unlink: "Invalid",
      rmdir: "Invalid",
      renameFrom: "Invalid",
      renameTo: "Invalid",
      createFile: "Invalid",
      mkdir: "Invalid",
      openFile: "IsDir",
      truncate: "IsDir",
    });
    expect(fs.statSync(root).isDirectory()).toBe(true);
  });

  it("refuses to open or truncate special files and keeps its descriptors to itself", async () => {
    const beneath = await openRoot(strategy, calls);
    await beneath.mkdir(["a"], 0o755);
    await beneath.mkdir(["a", "b"], 0o755);
    await beneath.mkdir(["a", "b", "c"], 0o755);
    await beneath.createFile(["a", "b", "c", "f"], 0o644);
    await beneath.symlink(["a", "b", "c", "sl"], "f");
    await beneath.symlink(["a", "b", "lnk"], "c");
    fs.mkdirSync(path.join(root, "a", "b", "c", "dir"));
    makeFifo(path.join(root, "a", "b", "c", "fifo"));
    const c: Names = ["a", "b", "c"];
    const batch = () =>
      outcomes({
        missingMiddle: () => beneath.lstat(["a", "b", "missing", "f"]),
        symlinkMiddle: () => beneath.openFile(["a", "b", "lnk", "f"], "r"),
        openDir: () => beneath.openFile([...c, "dir"], "r+"),
        openFifo: () => beneath.openFile([...c, "fifo"], "r"),
        truncateFifo: () => beneath.truncate([...c, "fifo"], 0),
        fsyncFifo: () => beneath.fsync([...c, "fifo"]),
        chmodSymlink: () => beneath.chmod([...c, "sl"], 0o600),
        readdirFile: () => beneath.readdir([...c, "f"]),
        renameToMissing: () => beneath.rename([...c, "f"], ["a", "b", "missing", "g"]),
        linkToSymlinkDir: () => beneath.link([...c, "f"], ["a", "b", "lnk", "g"]),
        createExisting: () => beneath.createFile([...c, "f"], 0o644),
        rmdirNotEmpty: () => beneath.rmdir(c),
        readdir: () => beneath.readdir(c),
        open: () => beneath.openFile([...c, "f"], "r"),
      });
    const expected = {
      missingMiddle: "NotFound",
      symlinkMiddle: "NotDir",
      openDir: "IsDir",
      openFifo: "Invalid",
      truncateFifo: "Invalid",
      fsyncFifo: "Invalid",
      chmodSymlink: "NotSupported",
      readdirFile: "NotDir",
      renameToMissing: "NotFound",
      linkToSymlinkDir: "NotDir",
      createExisting: "Exists",
      rmdirNotEmpty: "NotEmpty",
      readdir: "ok",
      open: "ok",
    };
    expect(await batch()).toEqual(expected);
    const openFds = () => fs.readdirSync("/proc/self/fd").length;
    const before = openFds();
    for (let i = 0; i < 20; i++) expect(await batch()).toEqual(expected);
    expect(openFds()).toBe(before);
  });

  it("waits for running operations on close and refuses new ones", async () => {
    const beneath = await openRoot(strategy, calls);
    await beneath.mkdir(["d"], 0o755);
    const running = beneath.readdir(["d"]);
    await beneath.close();
    expect(await running).toEqual([]);
    expect(await outcome(() => beneath.lstat(["d"]))).toBe("Io");
  });
});

describe("BeneathRoot.open", () => {
  it("resolves through /proc/self/fd on Linux and refuses a root that is missing or not a directory", async () => {
    expect((await openRoot()).strategy).toBe("proc-fd");
    for (const strategy of ["proc-fd", "lstat-check"] as const) {
      const missing = BeneathRoot.open(path.join(base, "missing"), { strategy });
      await expect(missing).rejects.toSatisfy((e) => isFsError(e, "NotFound"));
      const file = BeneathRoot.open(path.join(outside, "canary"), { strategy });
      await expect(file).rejects.toSatisfy((e) => isFsError(e, "NotDir"));
    }
  });

  it("keeps serving the directory it opened when the root's path is moved and replaced by a symlink", async () => {
    fs.writeFileSync(path.join(root, "inside"), "inside");
    const beneath = await openRoot("proc-fd");
    fs.renameSync(root, path.join(base, "moved-root"));
    fs.symlinkSync(outside, root);
    expect(await beneath.readdir([])).toEqual(["inside"]);
    await expect(beneath.openFile(["canary"], "r")).rejects.toSatisfy((e) => isFsError(e, "NotFound"));
  });
});

/**
 * Swaps `real` (a directory) and `link` (a symlink to outside) in and out of the name `sw`, in
 * another process (so that it races with calls made on this thread too), until `stop` exists;
 * then prints how many swaps it made, leaving both under their own names.
 */
const SWAPPER = `
const fs = require("node:fs");
const at = (name) => require("node:path").join(process.argv[1], name);
let flips = 0;
while (!fs.existsSync(at("stop"))) {
  fs.renameSync(at("real"), at("sw"));
  fs.renameSync(at("sw"), at("real"));
  fs.renameSync(at("link"), at("sw"));
  fs.renameSync(at("sw"), at("link"));
  flips++;
}
console.log(flips);
`;

describe.each<BeneathCalls>(["sync", "threadpool"])("BeneathRoot (proc-fd, %s calls) under a concurrent swap", (calls) => {
  it("never reaches outside while a directory on the path flips between a real directory and a symlink", async () => {
    const beneath = await openRoot("proc-fd", calls);
    fs.mkdirSync(path.join(root, "real", "deep"), { recursive: true });
    fs.writeFileSync(path.join(root, "real", "f"), "inside");
    fs.writeFileSync(path.join(root, "real", "deep", "f"), "inside");
    fs.mkdirSync(path.join(outside, "deep"));
    fs.writeFileSync(path.join(outside, "f"), CANARY);
    fs.writeFileSync(path.join(outside, "deep", "f"), CANARY);
    fs.writeFileSync(path.join(outside, "deep", "outside-only"), CANARY);
    fs.symlinkSync(outside, path.join(root, "link"));
    const insideIno = fs.statSync(path.join(root, "real", "deep", "f")).ino;
    const outsideBefore = snapshot(outside);

    let stop = false;
    // The stop file sits beside the root: inside it, the workers' operations would see it.
    const stopFile = path.join(base, "stop");
    const swapper = spawn(process.execPath, ["-e", SWAPPER.replace('at("stop")', JSON.stringify(stopFile)), root], { stdio: ["ignore", "pipe", "inherit"] });
    let swapperOut = "";
    swapper.stdout.on("data", (chunk: Buffer) => (swapperOut += chunk.toString()));
    const swapperDone = new Promise<number | null>((resolve) => swapper.on("exit", resolve));

    const counts = { ok: 0, refused: 0 };
    const wrong: string[] = [];
    const attempt = async (op: () => Promise<unknown>) => {
      const result = await outcome(op);
      if (result === "ok") counts.ok++;
      else if (result === "NotDir" || result === "NotFound") counts.refused++;
      else wrong.push(result);
      return result === "ok";
    };
    const worker = async (id: number) => {
      while (!stop) {
        // Synchronous calls that fail at once never wait: let the timer below run.
        await new Promise(setImmediate);
        for (const file of [["sw", "f"], ["sw", "deep", "f"]]) {
          await attempt(async () => {
            const handle = await beneath.openFile(file, "r+");
            try {
              await handle.write("INSIDE", 0);
            } finally {
              await handle.close();
            }
          });
          await attempt(() => beneath.truncate(file, 3));
          await attempt(() => beneath.chmod(file, 0o600));
          await attempt(() => beneath.chown(file, own.uid, own.gid));
          await attempt(() => beneath.utimes(file, 4_000, 4_000));
          await attempt(async () => {
            if ((await beneath.lstat(file)).isFile() && file.length === 3) {
              const ino = (await beneath.lstat(file)).ino;
              if (ino !== BigInt(insideIno)) wrong.push(`lstat reached inode ${ino}`);
            }
          });
        }
        await attempt(async () => {
          const names = await beneath.readdir(["sw", "deep"]);
          if (names.includes("outside-only")) wrong.push("readdir listed the outside directory");
        });
        if (await attempt(() => beneath.createFile(["sw", `new-${id}`], 0o644))) {
          // "real" is away as "sw" for a moment: try again (a bounded number of times).
          for (let tries = 0; tries < 1000 && !(await attempt(() => beneath.unlink(["real", `new-${id}`]))); tries++);
        }
        await attempt(() => beneath.link(["sw", "deep", "f"], [`hard-${id}`]));
        await attempt(() => beneath.unlink([`hard-${id}`]));
        if (await attempt(() => beneath.rename(["sw", "deep", "f"], [`held-${id}`]))) {
          // As above: put the file back once "real" is there.
          for (let tries = 0; tries < 1000 && !(await attempt(() => beneath.rename([`held-${id}`], ["real", "deep", "f"]))); tries++);
        }
      }
    };
    const workers = [0, 1, 2].map(worker);
    const started = Date.now();
    const elapsed = () => Date.now() - started;
    while (elapsed() < 10_000 && (elapsed() < 1500 || counts.ok === 0 || counts.refused === 0)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    stop = true;
    await Promise.all(workers);
    fs.writeFileSync(stopFile, "");
    expect(await swapperDone).toBe(0);

    expect(wrong).toEqual([]);
    expect(Number(swapperOut)).toBeGreaterThan(0);
    expect(counts.ok).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
    expect(snapshot(outside)).toEqual(outsideBefore);
    expect(fs.readdirSync(root).sort()).toEqual(["link", "real"]);
  });
});

function makeFifo(file: string): void {
  // node:fs cannot make a FIFO; mkfifo(1) is in coreutils, present wherever /proc/self/fd is.
  const { status, stderr } = spawnSync("mkfifo", [file]);
  if (status !== 0) throw new Error(`mkfifo ${file} failed: ${String(stderr)}`);
}
