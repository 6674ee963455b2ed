import fs from "node:fs";
import path from "node:path";
import { fsError, FsError } from "../errors.js";

/** A path below a root as its names, outermost first; `[]` is the root itself. */
export type Names = readonly string[];

/** A time for utimes(): a Date, seconds since the epoch (as node:fs takes them), or nanoseconds (as BigIntStats gives them). */
export type FileTime = Date | number | bigint;

/**
 * How paths are resolved. `proc-fd` (Linux): every directory is opened by descriptor, below the
 * one before it, through /proc/self/fd. `lstat-check` (elsewhere): plain paths whose directories
 * are lstat-checked first; it refuses symlinks on disk but races with a concurrent swap.
 */
export type BeneathStrategy = "proc-fd" | "lstat-check";

/**
 * Where the quick system calls run (lookups, opens by path, creates, renames, attribute
 * changes): `threadpool` (libuv's, as node:fs' asynchronous calls) or `sync` (on the calling
 * thread). A thread-pool hop costs 50–100 µs in a busy server, several times such a call on a
 * local disk, so `sync` makes metadata operations several times faster where the disk answers
 * at once; where it may not (a network or FUSE file system), it would stall the event loop.
 * Data and bulk calls (reads, writes, readdir, truncate, fsync) always use the thread pool.
 */
export type BeneathCalls = "sync" | "threadpool";

export interface BeneathRootOptions {
  /** Default: `proc-fd` where /proc/self/fd works, `lstat-check` elsewhere. */
  strategy?: BeneathStrategy;
  /** Default: `sync` when the root is on a local disk file system (Linux), `threadpool` otherwise. */
  calls?: BeneathCalls;
}

/** Linux's O_PATH (node:fs does not export it); one value on every architecture Node supports. */
const O_PATH = 0o10000000;
const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
const MAX_NAME_BYTES = 255;
/** Linux's PATH_MAX: the longest symlink target the kernel stores. */
const MAX_TARGET_BYTES = 4095;

/** What a final-name operation needs: a path that names the node itself, and what it is. */
interface ResolvedNode {
  /** Following this path reaches the node, never anything a symlink at the node points to. */
  readonly path: string;
  readonly stats: fs.Stats | fs.BigIntStats;
  /** Extra open() flags that keep an open of `path` from following a symlink. */
  readonly noFollow: number;
}

/**
 * File system operations that cannot leave a directory: the `folder` layout exports a directory
 * that other programs change while it is served, so any name on a path may become a symlink at
 * any moment, and a client must still never read or write outside the root.
 *
 * Every operation takes the path as names (each validated: not empty, ".", "..", no "/" or NUL,
 * at most 255 bytes) and never follows a symlink, neither in the middle nor at the end:
 * - With `proc-fd` (Linux) the root stays open as an O_PATH descriptor, and each directory on a
 *   path is opened O_PATH | O_DIRECTORY | O_NOFOLLOW through `/proc/self/fd/<parent>/<name>`,
 *   so a name swapped for a symlink fails instead of being followed, and a directory moved
 *   meanwhile is still the one that was opened. The final syscall names `<parent fd>/<last>`
 *   and does not follow it (lstat, lchown, lutimes, unlink, rename, link, mkdir, O_EXCL...);
 *   what Node only offers on a followed path (chmod, truncate, readdir, reopening a file) runs
 *   through an O_PATH descriptor of the node itself, whose type is checked first.
 * - With `lstat-check` (macOS, Windows) each directory on the path is lstat-checked and the
 *   operation runs on the plain path. This refuses symlinks already on disk but is racy: a
 *   directory swapped for a symlink between the check and the use is followed.
 *
 * Errors are FsErrors: a symlink (or any non-directory) met where a directory is needed is
 * NotDir; openFile and truncate refuse a symlink or special file with Invalid and a directory
 * with IsDir; chmod of a symlink is NotSupported (Linux has no lchmod), chown and utimes
 * change the symlink itself. New files and directories get `mode` less the process umask, as
 * open(2) and mkdir(2) give them. Times have the precision of a double in seconds (about
 * 0.25 µs today): node:fs offers nothing finer.
 */
export class BeneathRoot {
  /** A path that names the root: its descriptor's magic link, or the plain path. */
  private readonly rootPath: string;
  private readonly sys: Syscalls;
  private closing: Promise<void> | null = null;
  private active = 0;
  private drained: (() => void) | null = null;

  private constructor(
    /** The root's absolute path, for messages and logs. */
    readonly root: string,
    readonly strategy: BeneathStrategy,
    readonly calls: BeneathCalls,
    private readonly rootFd: number,
  ) {
    this.rootPath = strategy === "proc-fd" ? fdPath(rootFd) : root;
    this.sys = calls === "sync" ? SYNC_CALLS : THREADPOOL_CALLS;
  }

  /** Opens `root`, which must be an existing directory (it is not created). */
  static async open(root: string, options: BeneathRootOptions = {}): Promise<BeneathRoot> {
    const absolute = path.resolve(root);
    const wanted = options.strategy ?? (process.platform === "linux" ? "proc-fd" : "lstat-check");
    const calls = options.calls ?? ((await onLocalDisk(absolute)) ? "sync" : "threadpool");
    if (wanted === "proc-fd") {
      let fd: number;
      try {
        fd = await openFd(absolute, O_PATH | O_DIRECTORY);
      } catch (err) {
        throw toFsError(err, `cannot open root ${absolute}`);
      }
      if (procFdWorks(fd)) return new BeneathRoot(absolute, "proc-fd", calls, fd);
      closeQuietly(fd);
      if (options.strategy === "proc-fd") {
        throw fsError("NotSupported", `/proc/self/fd does not work here: cannot serve ${absolute} race-free`);
      }
    }
    let stats: fs.Stats;
    try {
      stats = await fs.promises.stat(absolute);
    } catch (err) {
      throw toFsError(err, `cannot open root ${absolute}`);
    }
    if (!stats.isDirectory()) throw fsError("NotDir", `root ${absolute} is not a directory`);
    return new BeneathRoot(absolute, "lstat-check", calls, -1);
  }

  /** The node at `names`, never following it: a symlink is described, not its target. */
  lstat(names: Names): Promise<fs.BigIntStats> {
    return this.run("lstat", names, async () => {
      if (names.length === 0) return await this.sys.stat(this.rootPath);
      return await this.atEntry(names, (entry) => this.sys.lstat(entry));
    });
  }

  /** The names in a directory, without "." and "..". */
  readdir(names: Names): Promise<string[]> {
    return this.run("readdir", names, () => this.inDirectory(names, (dir) => fs.promises.readdir(dir)));
  }

  /** Opens a regular file; a symlink or special file is Invalid, a directory IsDir. */
  openFile(names: Names, flags: "r" | "r+"): Promise<fs.promises.FileHandle> {
    return this.run("open", names, () =>
      this.atNode(names, (node) => {
        checkRegularFile(node.stats, names);
        return fs.promises.open(node.path, (flags === "r" ? O_RDONLY : O_RDWR) | node.noFollow);
      }),
    );
  }

  /**
   * Creates an empty regular file that did not exist (not even as a symlink). A plain descriptor,
   * not a FileHandle: creating one costs several times the create itself (measured).
   */
  createFile(names: Names, mode: number): Promise<void> {
    return this.run("create", names, () => {
      checkMode(mode);
      return this.atEntry(names, async (entry) => this.sys.close(await this.sys.open(entry, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode)));
    });
  }

  mkdir(names: Names, mode: number): Promise<void> {
    return this.run("mkdir", names, () => {
      checkMode(mode);
      return this.atEntry(names, (entry) => this.sys.mkdir(entry, mode));
    });
  }

  /** Creates a symlink holding `target` as given; nothing here ever resolves it. */
  symlink(names: Names, target: string): Promise<void> {
    return this.run("symlink", names, () => {
      checkTarget(target);
      return this.atEntry(names, (entry) => this.sys.symlink(target, entry));
    });
  }

  readlink(names: Names): Promise<string> {
    return this.run("readlink", names, () => this.atEntry(names, (entry) => this.sys.readlink(entry)));
  }

  unlink(names: Names): Promise<void> {
    return this.run("unlink", names, () => this.atEntry(names, (entry) => this.sys.unlink(entry)));
  }

  rmdir(names: Names): Promise<void> {
    return this.run("rmdir", names, () => this.atEntry(names, (entry) => this.sys.rmdir(entry)));
  }

  /** Moves a name; neither name is followed, and both parents are resolved below the root. */
  rename(from: Names, to: Names): Promise<void> {
    return this.run("rename", from, () => {
      checkNames(to);
      return this.atEntry(from, (source) => this.atEntry(to, (target) => this.sys.rename(source, target)));
    });
  }

  /** A new name for an existing node; a symlink at `existing` is linked itself, never its target. */
  link(existing: Names, newNames: Names): Promise<void> {
    return this.run("link", existing, () => {
      checkNames(newNames);
      return this.atEntry(existing, (source) => this.atEntry(newNames, (target) => this.sys.link(source, target)));
    });
  }

  /** Changes the mode bits; a symlink is NotSupported (Linux has no lchmod), and its target is never changed. */
  chmod(names: Names, mode: number): Promise<void> {
    return this.run("chmod", names, () => {
      checkMode(mode);
      return this.atNode(names, (node) => {
        if (node.stats.isSymbolicLink()) throw fsError("NotSupported", `cannot chmod symlink ${describe(names)}`);
        return this.sys.chmod(node.path, mode);
      });
    });
  }

  /** Changes the owner; a symlink's own owner, as lchown(2). */
  chown(names: Names, uid: number, gid: number): Promise<void> {
    return this.run("chown", names, async () => {
      checkId(uid, "uid");
      checkId(gid, "gid");
      if (names.length === 0) return await this.sys.chown(this.rootPath, uid, gid);
      return await this.atEntry(names, (entry) => this.sys.lchown(entry, uid, gid));
    });
  }

  /** Sets access and modification times; a symlink's own times, as lutimes(3). */
  utimes(names: Names, atime: FileTime, mtime: FileTime): Promise<void> {
    return this.run("utimes", names, async () => {
      const a = toSeconds(atime);
      const m = toSeconds(mtime);
      if (names.length === 0) return await this.sys.utimes(this.rootPath, a, m);
      return await this.atEntry(names, (entry) => this.sys.lutimes(entry, a, m));
    });
  }

  /** Sets a regular file's size; a symlink or special file is Invalid, a directory IsDir. */
  truncate(names: Names, size: number): Promise<void> {
    return this.run("truncate", names, () => {
      if (!Number.isSafeInteger(size) || size < 0) throw fsError("Invalid", `invalid size ${size}`);
      return this.atNode(names, (node) => {
        checkRegularFile(node.stats, names);
        return fs.promises.truncate(node.path, size);
      });
    });
  }

  /** Makes a file's data or a directory's entries durable; other node types are Invalid. */
  fsync(names: Names): Promise<void> {
    return this.run("fsync", names, () =>
      this.atNode(names, async (node) => {
        const isDir = node.stats.isDirectory();
        if (!isDir && !node.stats.isFile()) {
          throw fsError("Invalid", `${describe(names)} is neither a regular file nor a directory`);
        }
        const handle = await fs.promises.open(node.path, O_RDONLY | node.noFollow | (isDir ? O_DIRECTORY : 0));
        try {
          await handle.sync();
        } catch (err) {
          // Some file systems refuse fsync on a directory; there is nothing more to make durable.
          if (!isDir || errnoCode(err) !== "EINVAL") throw err;
        } finally {
          await handle.close();
        }
      }),
    );
  }

  /** Refuses new operations, waits for those running, then lets the root go. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.active > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      if (this.strategy === "proc-fd") closeQuietly(this.rootFd);
    })();
    return this.closing;
  }

  /**
   * Runs one operation: checks the names, counts it as running (close() waits, so the root's
   * descriptor number is never reused under it) and turns every failure into an FsError.
   */
  private async run<T>(what: string, names: Names, op: () => Promise<T>): Promise<T> {
    checkNames(names);
    if (this.closing) throw fsError("Io", `${this.root} is closed`);
    this.active++;
    try {
      return await op();
    } catch (err) {
      throw toFsError(err, `${what} ${describe(names)} in ${this.root}`);
    } finally {
      if (--this.active === 0 && this.drained) this.drained();
    }
  }

  /** Runs `op` on a path naming the last of `names` in its parent, which must not follow it. */
  private async atEntry<T>(names: Names, op: (entry: string) => Promise<T>): Promise<T> {
    if (names.length === 0) throw fsError("Invalid", "the root itself has no name to act on");
    const last = names[names.length - 1]!;
    if (this.strategy === "lstat-check") {
      await this.checkDirectories(names, names.length - 1);
      return await op(path.join(this.root, ...names));
    }
    const parent = await this.openDirectory(names, names.length - 1);
    try {
      return await op(`${fdPath(parent)}/${last}`);
    } finally {
      if (parent !== this.rootFd) closeQuietly(parent);
    }
  }

  /** Runs `op` on a path naming the directory at `names` (which may not be a symlink). */
  private async inDirectory<T>(names: Names, op: (dir: string) => Promise<T>): Promise<T> {
    if (this.strategy === "lstat-check") {
      await this.checkDirectories(names, names.length);
      return await op(path.join(this.root, ...names));
    }
    const dir = await this.openDirectory(names, names.length);
    try {
      return await op(fdPath(dir));
    } finally {
      if (dir !== this.rootFd) closeQuietly(dir);
    }
  }

  /** Runs `op` on the node at `names` itself, described by an lstat that did not follow it. */
  private async atNode<T>(names: Names, op: (node: ResolvedNode) => Promise<T>): Promise<T> {
    if (this.strategy === "lstat-check") {
      await this.checkDirectories(names, names.length - 1);
      const full = path.join(this.root, ...names);
      const stats = names.length === 0 ? await this.sys.stat(full) : await this.sys.lstat(full);
      return await op({ path: full, stats, noFollow: O_NOFOLLOW });
    }
    if (names.length === 0) return await op({ path: this.rootPath, stats: await this.sys.fstat(this.rootFd), noFollow: 0 });
    const node = await this.atEntry(names, (entry) => this.sys.open(entry, O_PATH | O_NOFOLLOW));
    try {
      return await op({ path: fdPath(node), stats: await this.sys.fstat(node), noFollow: 0 });
    } finally {
      closeQuietly(node);
    }
  }

  /**
   * Opens the directory named by the first `depth` names, each O_PATH | O_DIRECTORY |
   * O_NOFOLLOW below the one before: a symlink anywhere on the way is NotDir. Returns the
   * root's own descriptor for depth 0 (the caller must not close that one).
   */
  private async openDirectory(names: Names, depth: number): Promise<number> {
    let fd = this.rootFd;
    try {
      for (let i = 0; i < depth; i++) {
        const next = await this.sys.open(`${fdPath(fd)}/${names[i]}`, O_PATH | O_DIRECTORY | O_NOFOLLOW);
        if (fd !== this.rootFd) closeQuietly(fd);
        fd = next;
      }
      return fd;
    } catch (err) {
      if (fd !== this.rootFd) closeQuietly(fd);
      throw errnoCode(err) === "ELOOP" ? fsError("NotDir", `a symlink on the path ${describe(names)}`, err) : err;
    }
  }

  /** lstat-check: each of the first `depth` names must be a directory, not a symlink (racy). */
  private async checkDirectories(names: Names, depth: number): Promise<void> {
    for (let i = 1; i <= depth; i++) {
      const stats = await this.sys.lstat(path.join(this.root, ...names.slice(0, i)));
      if (!stats.isDirectory()) throw fsError("NotDir", `${describe(names.slice(0, i))} is not a directory`);
    }
  }
}

function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** True when the descriptor's magic link reaches the directory the descriptor holds. */
function procFdWorks(fd: number): boolean {
  try {
    const held = fs.fstatSync(fd);
    const seen = fs.statSync(fdPath(fd));
    return seen.ino === held.ino && seen.dev === held.dev;
  } catch {
    return false;
  }
}

function checkNames(names: Names): void {
  if (!Array.isArray(names)) throw fsError("Invalid", "a path must be a list of names");
  for (const name of names) checkName(name);
}

function checkName(name: unknown): void {
  if (typeof name !== "string" || name === "" || name === "." || name === "..") {
    throw fsError("Invalid", `invalid name ${describeName(name)}`);
  }
  if (name.includes("/") || name.includes("\0") || (process.platform === "win32" && /[\\:]/.test(name))) {
    throw fsError("Invalid", `invalid name ${describeName(name)}`);
  }
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_BYTES) {
    throw fsError("NameTooLong", `name longer than ${MAX_NAME_BYTES} bytes: ${describeName(name)}`);
  }
}

function checkTarget(target: unknown): void {
  if (typeof target !== "string" || target === "" || target.includes("\0")) {
    throw fsError("Invalid", `invalid symlink target ${describeName(target)}`);
  }
  if (Buffer.byteLength(target, "utf8") > MAX_TARGET_BYTES) {
    throw fsError("NameTooLong", `symlink target longer than ${MAX_TARGET_BYTES} bytes`);
  }
}

function checkMode(mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw fsError("Invalid", `invalid mode ${mode}`);
}

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw fsError("Invalid", `invalid ${what} ${id}`);
}

function checkRegularFile(stats: fs.Stats | fs.BigIntStats, names: Names): void {
  if (stats.isDirectory()) throw fsError("IsDir", `${describe(names)} is a directory`);
  if (!stats.isFile()) throw fsError("Invalid", `${describe(names)} is not a regular file`);
}

/** Seconds as node:fs takes them; a bigint is nanoseconds. */
function toSeconds(time: FileTime): number | Date {
  if (typeof time === "bigint") return Number(time / 1_000_000_000n) + Number(time % 1_000_000_000n) / 1e9;
  if (time instanceof Date ? Number.isNaN(time.getTime()) : !Number.isFinite(time)) {
    throw fsError("Invalid", `invalid time ${String(time)}`);
  }
  return time;
}

/** A path for messages: quoted, so that control characters from a client cannot forge log lines. */
function describe(names: Names): string {
  return JSON.stringify(names.join("/").slice(0, 200));
}

function describeName(name: unknown): string {
  return typeof name === "string" ? JSON.stringify(name.slice(0, 64)) : typeof name;
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

const ERRNO_CODES: Readonly<Record<string, FsError["code"]>> = {
  ENOENT: "NotFound",
  EEXIST: "Exists",
  ENOTDIR: "NotDir",
  EISDIR: "IsDir",
  ENOTEMPTY: "NotEmpty",
  ENOSPC: "NoSpace",
  EDQUOT: "NoSpace",
  EACCES: "Access",
  EPERM: "Perm",
  ENAMETOOLONG: "NameTooLong",
  EROFS: "ReadOnly",
  EXDEV: "XDev",
  EMLINK: "MLink",
  EFBIG: "FileTooBig",
  EINVAL: "Invalid",
  ELOOP: "Invalid",
  ENOTSUP: "NotSupported",
  EOPNOTSUPP: "NotSupported",
  ESTALE: "Stale",
};

/** An errno failure as the FsError it means (`message` says what was being done); an FsError stays as it is. */
export function toFsError(err: unknown, message: string): FsError {
  if (err instanceof FsError) return err;
  const code = errnoCode(err);
  const detail = `${message}: ${code ?? (err as Error)?.message ?? String(err)}`;
  const mapped = code === undefined ? undefined : ERRNO_CODES[code];
  // node:fs refuses bad arguments itself (ERR_INVALID_ARG_*); what passed our checks is a bug.
  return fsError(mapped ?? "Io", detail, err);
}

function openFd(file: string, flags: number, mode?: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
}

/** The quick system calls BeneathRoot makes, on one thread or the other (see BeneathCalls). */
interface Syscalls {
  open(file: string, flags: number, mode?: number): Promise<number>;
  close(fd: number): Promise<void>;
  fstat(fd: number): Promise<fs.Stats>;
  stat(file: string): Promise<fs.BigIntStats>;
  lstat(file: string): Promise<fs.BigIntStats>;
  mkdir(file: string, mode: number): Promise<void>;
  symlink(target: string, file: string): Promise<void>;
  readlink(file: string): Promise<string>;
  unlink(file: string): Promise<void>;
  rmdir(file: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, file: string): Promise<void>;
  chmod(file: string, mode: number): Promise<void>;
  chown(file: string, uid: number, gid: number): Promise<void>;
  lchown(file: string, uid: number, gid: number): Promise<void>;
  utimes(file: string, atime: number | Date, mtime: number | Date): Promise<void>;
  lutimes(file: string, atime: number | Date, mtime: number | Date): Promise<void>;
}

const THREADPOOL_CALLS: Syscalls = {
  open: openFd,
  close: (fd) => new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve()))),
  fstat: (fd) => new Promise((resolve, reject) => fs.fstat(fd, (err, stats) => (err ? reject(err) : resolve(stats)))),
  stat: (file) => fs.promises.stat(file, { bigint: true }),
  lstat: (file) => fs.promises.lstat(file, { bigint: true }),
  mkdir: async (file, mode) => {
    await fs.promises.mkdir(file, { mode });
  },
  symlink: (target, file) => fs.promises.symlink(target, file),
  readlink: (file) => fs.promises.readlink(file),
  unlink: (file) => fs.promises.unlink(file),
  rmdir: (file) => fs.promises.rmdir(file),
  rename: (from, to) => fs.promises.rename(from, to),
  link: (existing, file) => fs.promises.link(existing, file),
  chmod: (file, mode) => fs.promises.chmod(file, mode),
  chown: (file, uid, gid) => fs.promises.chown(file, uid, gid),
  lchown: (file, uid, gid) => fs.promises.lchown(file, uid, gid),
  utimes: (file, atime, mtime) => fs.promises.utimes(file, atime, mtime),
  lutimes: (file, atime, mtime) => fs.promises.lutimes(file, atime, mtime),
};

/** The same calls made at once on the calling thread; a failure still arrives as a rejection. */
const SYNC_CALLS: Syscalls = {
  open: async (file, flags, mode) => fs.openSync(file, flags, mode),
  close: async (fd) => fs.closeSync(fd),
  fstat: async (fd) => fs.fstatSync(fd),
  stat: async (file) => fs.statSync(file, { bigint: true }),
  lstat: async (file) => fs.lstatSync(file, { bigint: true }),
  mkdir: async (file, mode) => {
    fs.mkdirSync(file, { mode });
  },
  symlink: async (target, file) => fs.symlinkSync(target, file),
  readlink: async (file) => fs.readlinkSync(file),
  unlink: async (file) => fs.unlinkSync(file),
  rmdir: async (file) => fs.rmdirSync(file),
  rename: async (from, to) => fs.renameSync(from, to),
  link: async (existing, file) => fs.linkSync(existing, file),
  chmod: async (file, mode) => fs.chmodSync(file, mode),
  chown: async (file, uid, gid) => fs.chownSync(file, uid, gid),
  lchown: async (file, uid, gid) => fs.lchownSync(file, uid, gid),
  utimes: async (file, atime, mtime) => fs.utimesSync(file, atime, mtime),
  lutimes: async (file, atime, mtime) => fs.lutimesSync(file, atime, mtime),
};

/**
 * Linux file systems whose metadata calls are answered by the local kernel and disk (statfs
 * f_type magic numbers): ext2/3/4, XFS, Btrfs, tmpfs, ramfs, F2FS, ZFS, bcachefs, overlayfs.
 * Anything else (NFS, SMB, FUSE, unknown) may wait on a network.
 */
const LOCAL_DISK_TYPES = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x858458f6, 0xf2f52010, 0x2fc12fc1, 0xca451a4e, 0x794c7630]);

/** True when `dir` is on a local disk file system (Linux only: elsewhere statfs types are not magic numbers). */
async function onLocalDisk(dir: string): Promise<boolean> {
  if (process.platform !== "linux") return false;
  try {
    return LOCAL_DISK_TYPES.has((await fs.promises.statfs(dir)).type);
  } catch {
    return false;
  }
}

function closeQuietly(fd: number): void {
  // Synchronous: closing an O_PATH descriptor does no I/O, and the number is free before the next open.
  try {
    fs.closeSync(fd);
  } catch {
    // Nothing to recover: the descriptor is gone either way.
  }
}
