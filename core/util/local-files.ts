import fs from "node:fs";
import path from "node:path";
import { fsError, FsError } from "../errors.js";

export interface LocalFilesOptions {
  /** Directory that holds the files; created when missing. */
  root: string;
  /** File descriptors kept open between operations (least recently used are closed first). */
  maxOpenFiles?: number;
}

const DEFAULT_MAX_OPEN_FILES = 256;
/** Reads up to this size allocate their buffer directly; larger ones first clamp to the file size. */
const UNCHECKED_READ_MAX = 4 << 20;

interface OpenFile {
  readonly fd: number;
  /** Operations using the fd right now; it is closed only when this is 0. */
  refs: number;
  /** Left the LRU (deleted or store closed) while in use: close when the last user releases it. */
  detached: boolean;
}

interface FileLocation {
  dir: string;
  file: string;
}

/** Ids that are safe as file names on every OS: nothing can name a path outside the root. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * One file per id: `root/ab/cd/<name>`, where `abcd` starts the file name, so that no
 * directory grows to millions of entries. Ids are validated (`[A-Za-z0-9_-]{1,128}`) before any
 * path is built, so no id can name anything outside the root. The fs content store keeps its
 * content here and the disk cache of remote stores its local segments; neither knows the other.
 *
 * File descriptors stay open in a bounded LRU keyed by id (reference counted, so an fd is
 * closed only when no operation is using it) and are reopened on demand.
 *
 * space() reports the file system's own used and available bytes from statfs: summing the
 * tree would cost a walk of every file, and FSSTAT clients expect used + available to be the
 * size of the disk the files live on.
 */
export class LocalFiles {
  /** Open fds in least-recently-used-first order. */
  private readonly files = new Map<string, OpenFile>();
  private readonly opening = new Map<string, Promise<number | null>>();
  /** Descriptors open right now, in the LRU or detached and still in use. */
  private openFds = 0;
  /** Operations waiting for a descriptor slot while every open one is in use. */
  private slotWaiters: Array<() => void> = [];
  /** Fan-out directories known to exist (relative to root), so writes do not mkdir each time. */
  private readonly knownDirs = new Set<string>();
  private readonly creatingDirs = new Map<string, Promise<void>>();
  /** Ids whose directory entry was created since their last sync. */
  private readonly unsyncedEntries = new Set<string>();
  /** Directories whose entries changed (a fan-out directory was created in them) since a sync. */
  private readonly unsyncedDirs = new Set<string>();
  private closed = false;

  private constructor(
    private readonly root: string,
    private readonly maxOpenFiles: number,
  ) {}

  static async open(options: LocalFilesOptions): Promise<LocalFiles> {
    const maxOpenFiles = options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES;
    if (!Number.isSafeInteger(maxOpenFiles) || maxOpenFiles < 1) {
      throw fsError("Invalid", `maxOpenFiles must be a positive integer, got ${maxOpenFiles}`);
    }
    const root = path.resolve(options.root);
    try {
      await fs.promises.mkdir(root, { recursive: true, mode: 0o700 });
    } catch (err) {
      if (errnoCode(err) === "EEXIST" || errnoCode(err) === "ENOTDIR") {
        throw fsError("NotDir", `${root} is not a directory`, err);
      }
      throw toFsError(err, `cannot create ${root}`);
    }
    return new LocalFiles(root, maxOpenFiles);
  }

  async read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    checkId(id);
    if (length === 0) return Buffer.alloc(0);
    const file = await this.acquire(id, false);
    if (!file) return Buffer.alloc(0);
    try {
      let wanted = length;
      if (wanted > UNCHECKED_READ_MAX) {
        const size = (await fstat(file.fd)).size;
        wanted = Math.max(0, Math.min(length, size - offset));
      }
      const buffer = into ? into.subarray(0, wanted) : Buffer.allocUnsafe(wanted);
      let got = 0;
      while (got < wanted) {
        const n = await readAt(file.fd, buffer, got, wanted - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return got === wanted ? buffer : buffer.subarray(0, got);
    } catch (err) {
      throw toFsError(err, `read of ${id} failed`);
    } finally {
      this.release(file);
    }
  }

  async write(id: string, offset: number, data: Buffer): Promise<void> {
    checkId(id);
    if (data.length === 0) return;
    const file = (await this.acquire(id, true))!;
    try {
      let done = 0;
      while (done < data.length) {
        done += await writeAt(file.fd, data, done, data.length - done, offset + done);
      }
    } catch (err) {
      throw toFsError(err, `write of ${id} failed`);
    } finally {
      this.release(file);
    }
  }

  async truncate(id: string, size: number): Promise<void> {
    checkId(id);
    const file = await this.acquire(id, size > 0);
    if (!file) return;
    try {
      await ftruncate(file.fd, size);
    } catch (err) {
      throw toFsError(err, `truncate of ${id} to ${size} failed`);
    } finally {
      this.release(file);
    }
  }

  async size(id: string): Promise<number> {
    checkId(id);
    this.checkOpen();
    const cached = this.files.get(id);
    try {
      if (cached) {
        cached.refs++;
        try {
          return (await fstat(cached.fd)).size;
        } finally {
          this.release(cached);
        }
      }
      return (await fs.promises.stat(this.pathFor(id).file)).size;
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return 0;
      throw toFsError(err, `size of ${id} failed`);
    }
  }

  async sync(id: string): Promise<void> {
    checkId(id);
    const file = await this.acquire(id, false);
    if (!file) return;
    try {
      await fdatasync(file.fd);
    } catch (err) {
      throw toFsError(err, `sync of ${id} failed`);
    } finally {
      this.release(file);
    }
    await this.syncEntries(id);
  }

  async delete(id: string): Promise<void> {
    checkId(id);
    this.checkOpen();
    // Let an open in progress finish, so that its fd is found and closed below.
    await this.opening.get(id)?.catch(() => undefined);
    const file = this.files.get(id);
    if (file) {
      this.files.delete(id);
      file.detached = true;
      if (file.refs === 0) this.closeFd(file.fd);
    }
    this.unsyncedEntries.delete(id);
    const target = this.pathFor(id).file;
    // Many removed files never had a byte written (empty and lock files): a synchronous lstat of
    // a cached directory entry (~2 µs) spares them an unlink's thread-pool round trip (~50 µs).
    if (!file && !mayExist(target)) return;
    try {
      await fs.promises.unlink(target);
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") throw toFsError(err, `delete of ${id} failed`);
    }
  }

  async space(): Promise<{ used: number; available: number }> {
    try {
      const s = await fs.promises.statfs(this.root);
      return { used: (s.blocks - s.bfree) * s.bsize, available: s.bavail * s.bsize };
    } catch (err) {
      throw toFsError(err, `statfs of ${this.root} failed`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.opening.values());
    const files = [...this.files.values()];
    this.files.clear();
    for (const file of files) {
      file.detached = true;
      if (file.refs === 0) this.closeFd(file.fd);
    }
    this.wakeSlotWaiters();
  }

  /** Where the bytes of `id` live on disk (the file may not exist yet), for readers outside the store. */
  filePath(id: string): string {
    checkId(id);
    return this.pathFor(id).file;
  }

  /** The path of `id`: `root/ab/cd/<name>` (a short id is padded with "_" for its directories). */
  private pathFor(id: string): FileLocation {
    const name = fileNameFor(id);
    const prefix = (id.length >= 4 ? id : id + "___").slice(0, 4).toLowerCase();
    const dir = path.join(this.root, prefix.slice(0, 2), prefix.slice(2, 4));
    return { dir, file: path.join(dir, name) };
  }

  /** An open fd for `id`, counted as in use until release(); null when absent and !create. */
  private async acquire(id: string, create: boolean): Promise<OpenFile | null> {
    for (;;) {
      this.checkOpen();
      const cached = this.files.get(id);
      if (cached) {
        // Move to the most recently used end.
        this.files.delete(id);
        this.files.set(id, cached);
        cached.refs++;
        return cached;
      }
      const pending = this.opening.get(id);
      if (pending) {
        const fd = await pending;
        if (fd === null && !create) return null;
        continue;
      }
      // A hard bound: with every slot taken by an fd in use, wait for one to be released.
      if (this.openFds + this.opening.size >= this.maxOpenFiles && !this.evictOne()) {
        await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        continue;
      }
      const opening = this.openFd(id, create);
      this.opening.set(id, opening);
      let fd: number | null = null;
      try {
        fd = await opening;
      } finally {
        this.opening.delete(id);
        // A failed or empty open gives its slot back.
        if (fd === null) this.wakeSlotWaiters();
      }
      if (fd === null) return null;
      this.openFds++;
      if (this.closed) {
        this.closeFd(fd);
        this.checkOpen();
      }
      const file: OpenFile = { fd, refs: 1, detached: false };
      this.files.set(id, file);
      return file;
    }
  }

  private release(file: OpenFile): void {
    file.refs--;
    if (file.refs > 0) return;
    if (file.detached) this.closeFd(file.fd);
    else this.wakeSlotWaiters();
  }

  /** Closes the least recently used fd that nobody is using; false when all are in use. */
  private evictOne(): boolean {
    for (const [id, file] of this.files) {
      if (file.refs > 0) continue;
      this.files.delete(id);
      this.closeFd(file.fd);
      return true;
    }
    return false;
  }

  private closeFd(fd: number): void {
    this.openFds--;
    closeQuietly(fd);
    this.wakeSlotWaiters();
  }

  /** Every waiter checks again: whichever finds a slot (or its fd already cached) goes on. */
  private wakeSlotWaiters(): void {
    if (this.slotWaiters.length === 0) return;
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
  }

  private async openFd(id: string, create: boolean): Promise<number | null> {
    const { dir, file } = this.pathFor(id);
    try {
      return await openFile(file, fs.constants.O_RDWR);
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") throw toFsError(err, `open of ${id} failed`);
      if (!create) return null;
    }
    for (let attempt = 0; ; attempt++) {
      await this.ensureDir(dir);
      try {
        const fd = await openFile(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
        this.unsyncedEntries.add(id);
        return fd;
      } catch (err) {
        // A fan-out directory removed behind our back: forget it and create it again, once.
        if (errnoCode(err) === "ENOENT" && attempt === 0) {
          this.knownDirs.delete(dir);
          continue;
        }
        throw toFsError(err, `create of ${id} failed`);
      }
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    let pending = this.creatingDirs.get(dir);
    if (!pending) {
      pending = this.createDir(dir).finally(() => this.creatingDirs.delete(dir));
      this.creatingDirs.set(dir, pending);
    }
    await pending;
  }

  private async createDir(dir: string): Promise<void> {
    let first: string | undefined;
    try {
      first = await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw toFsError(err, `cannot create directory ${dir}`);
    }
    // Each directory created here is a new entry in its parent, which a sync must make durable.
    for (let created = first ? dir : undefined; created; ) {
      const parent = path.dirname(created);
      this.unsyncedDirs.add(parent);
      created = created === first ? undefined : parent;
    }
    this.knownDirs.add(dir);
  }

  /** Makes the directory entries leading to a newly created file durable. */
  private async syncEntries(id: string): Promise<void> {
    const leaf = this.pathFor(id).dir;
    const chain = [leaf, path.dirname(leaf), path.dirname(path.dirname(leaf))];
    const newEntry = this.unsyncedEntries.delete(id);
    for (const dir of chain) {
      const changed = dir === leaf ? newEntry || this.unsyncedDirs.has(dir) : this.unsyncedDirs.has(dir);
      if (!changed) continue;
      this.unsyncedDirs.delete(dir);
      await fsyncDir(dir);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw fsError("Io", `${this.root} is closed`);
  }
}

function checkId(id: string): void {
  if (typeof id !== "string" || !SAFE_ID.test(id)) {
    throw fsError("Invalid", `invalid file id ${JSON.stringify(String(id).slice(0, 40))}`);
  }
}

/**
 * The on-disk name for an id. Ids are case-sensitive but macOS and Windows file systems are
 * usually not, so an id with capitals becomes its lower-case form plus "." and the bitmask
 * of its capital positions in hex ("." never occurs in ids, so names cannot collide).
 */
export function fileNameFor(id: string): string {
  if (!/[A-Z]/.test(id)) return id;
  let mask = 0n;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 65 && c <= 90) mask |= 1n << BigInt(i);
  }
  return `${id.toLowerCase()}.${mask.toString(16)}`;
}

/** False only when lstat finds no such file; any other failure is left for the caller to meet. */
function mayExist(file: string): boolean {
  try {
    return fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function toFsError(err: unknown, message: string): FsError {
  if (err instanceof FsError) return err;
  const code = errnoCode(err);
  const detail = `${message}: ${code ?? (err as Error)?.message ?? String(err)}`;
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
      return fsError("NoSpace", detail, err);
    case "EFBIG":
      return fsError("FileTooBig", detail, err);
    case "EROFS":
      return fsError("ReadOnly", detail, err);
    default:
      return fsError("Io", detail, err);
  }
}

function closeQuietly(fd: number): void {
  // Synchronous (a close of a regular file does not block), so that the descriptor is gone
  // before its slot is handed to the next open: the bound holds for the OS, not just the count.
  try {
    fs.closeSync(fd);
  } catch {
    // A close error leaves nothing to recover: the data was written (or not) by earlier calls.
  }
}

async function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals the entries itself.
  if (process.platform === "win32") return;
  let fd: number;
  try {
    fd = await openFile(dir, fs.constants.O_RDONLY);
  } catch (err) {
    throw toFsError(err, `cannot open ${dir} to sync it`);
  }
  try {
    await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
  } catch (err) {
    // Some file systems refuse fsync on a directory; the file data itself is already synced.
    const code = errnoCode(err);
    if (code !== "EINVAL" && code !== "EBADF") {
      throw toFsError(err, `sync of ${dir} failed`);
    }
  } finally {
    closeQuietly(fd);
  }
}

// Thin promise wrappers over the callback API: they avoid FileHandle objects per operation.

function openFile(file: string, flags: number, mode?: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
}

function readAt(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

function writeAt(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.write(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

function ftruncate(fd: number, size: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, size, (err) => (err ? reject(err) : resolve())));
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function fstat(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, stats) => (err ? reject(err) : resolve(stats))));
}
