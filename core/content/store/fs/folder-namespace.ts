import type { BigIntStats } from "node:fs";
import { fsError, isFsError } from "../../../errors.js";
import { checkUnlinkable, type Created, type MetadataStore, type NewEntry, type Removed, type StoreCapabilities, type UnlinkOnly } from "../../../metadata/store.js";
import type { AttrChanges, DirPage, FileAttr, FileId, FileType, NewNode, StoreUsage, Timespec, Unlinked } from "../../../metadata/types.js";
import { timespecNow } from "../../../metadata/types.js";
import type { BeneathRoot, Names } from "../../../util/beneath.js";
import { LruMap } from "../../../util/lru.js";
import { newContentId } from "../../store.js";
import type { FolderIndex, FolderNode } from "./folder-index.js";

/** What the namespace shares with the folder content store it sits on. */
export interface FolderParts {
  disk: BeneathRoot;
  index: FolderIndex;
}

export interface FolderNamespaceOptions {
  /**
   * A node checked against the disk longer ago than this is checked again when used (its stat,
   * or a directory's listing when the directory changed); 0 checks on every use.
   */
  revalidateMs: number;
}

const NS = 1_000_000_000n;
/** Nodes whose last check against the disk is remembered (older ones are simply checked again). */
const CHECKED_CAPACITY = 100_000;
/** Entries read from the mirror per page while comparing a directory with the disk. */
const MIRROR_PAGE = 1_000;

const asRoot = process.getuid?.() === 0;

/**
 * The `folder` layout's view of a share: a MetadataStore whose tree is an existing directory
 * on disk. The wrapped store (SQLite by default) mirrors the tree, so that ids, READDIR cookies
 * and what the disk cannot hold (creation time, DOS attributes, an owner a non-root server
 * cannot set) have a home; the disk stays the truth for names, types, sizes, modes and times.
 *
 * - Changes by other programs show up: a directory is listed again when its mtime or ctime moved
 *   since its last listing, a node's attributes are taken from its stat; both at most every
 *   `revalidateMs`. A node whose file is gone, or whose path now holds another inode, is NotFound
 *   (the service answers Stale).
 * - Changes by clients go to the disk first (create, mkdir, symlink, link, unlink, rmdir,
 *   rename, chmod, chown, utimes), then to the mirror. A changed directory takes the time the
 *   disk gave it, not the `now` it is passed.
 * - WRITEs land in the files (FolderContentStore); `wrote` takes the times they gave the file.
 * - Every path goes through BeneathRoot, which never leaves the exported directory.
 * - Owners: running as root, the disk takes every owner a client sets. Otherwise the disk keeps
 *   the server's user and the owner a client set is kept in the index and shown instead.
 */
export class FolderNamespace implements MetadataStore {
  readonly kind: string;
  /** The disk has hard links and symlinks; Node cannot make device nodes, FIFOs or sockets. */
  readonly capabilities: Readonly<StoreCapabilities> = { hardLinks: true, symlinks: true, specialFiles: false };
  /** When each node's stat was last compared with the disk (ms since the epoch). */
  private readonly checked = new LruMap<FileId, number>(CHECKED_CAPACITY);
  /** When each directory's listing was last compared with the disk. */
  private readonly listChecked = new LruMap<FileId, number>(CHECKED_CAPACITY);
  /** Listings in progress, by directory, so that concurrent users share one. */
  private readonly listing = new Map<FileId, Promise<void>>();
  /** Directories whose entries changed since the last sync (their fsync makes new names durable). */
  private readonly unsyncedDirs = new Set<FileId>();

  constructor(
    private readonly inner: MetadataStore,
    private readonly parts: FolderParts,
    private readonly options: FolderNamespaceOptions,
  ) {
    this.kind = `${inner.kind} (mirror of the folder ${parts.disk.root})`;
  }

  async getOrCreateRoot(shareName: string, init: NewNode): Promise<FileAttr> {
    const st = await this.parts.disk.lstat([]);
    const root = await this.inner.getOrCreateRoot(shareName, { ...init, ...diskAttrs(st) });
    this.parts.index.bindRoot(root.id, String(st.dev), inodeOf(st));
    return this.takeDisk(root, this.parts.index.byNode(root.id)!, st);
  }

  async get(id: FileId): Promise<FileAttr> {
    const attr = await this.inner.get(id);
    return this.revalidate(attr);
  }

  async lookup(dirId: FileId, name: string): Promise<FileAttr> {
    await this.fresh(dirId);
    const entry = await this.entryOnDisk(dirId, name, await this.inner.lookup(dirId, name));
    if (!entry) throw fsError("NotFound", `${name} is gone from the folder`);
    return entry;
  }

  async lookupIn(dirId: FileId, name: string): Promise<{ dir: FileAttr; entry: FileAttr | null }> {
    await this.fresh(dirId);
    const found = await this.inner.lookupIn(dirId, name);
    return { dir: found.dir, entry: found.entry && (await this.entryOnDisk(dirId, name, found.entry)) };
  }

  /**
   * A mirrored entry checked against the disk. One whose file is gone leaves the mirror at once
   * (null), and a file now under its name (replaced on disk) takes its place.
   */
  private async entryOnDisk(dirId: FileId, name: string, entry: FileAttr): Promise<FileAttr | null> {
    try {
      return await this.revalidate(entry);
    } catch (err) {
      if (!isFsError(err, "NotFound")) throw err;
    }
    const now = timespecNow();
    await this.dropMirrored(dirId, name, entry, now);
    const st = await this.parts.disk.lstat([...this.pathOf(dirId), name]).catch(notFoundAsNull);
    if (!st) return null;
    await this.adopt(dirId, name, st, now);
    return this.inner.lookup(dirId, name);
  }

  async readDir(dirId: FileId, afterCookie: number, limit: number): Promise<DirPage> {
    if (afterCookie === 0) await this.fresh(dirId);
    return this.inner.readDir(dirId, afterCookie, limit);
  }

  parentOf(dirId: FileId): Promise<FileAttr> {
    return this.inner.parentOf(dirId);
  }

  async readLink(id: FileId): Promise<string> {
    return this.parts.disk.readlink(this.pathOf(id));
  }

  usage(): Promise<StoreUsage> {
    return this.inner.usage();
  }

  secret(name: string): Promise<Buffer> {
    return this.inner.secret(name);
  }

  /** The mirror's changes, then the directories whose names changed (fsync makes new names durable). */
  async sync(): Promise<void> {
    await this.inner.sync();
    const dirs = [...this.unsyncedDirs];
    this.unsyncedDirs.clear();
    for (const dirId of dirs) {
      const path = this.parts.index.pathOf(dirId);
      if (path) await this.parts.disk.fsync(path).catch((err: unknown) => {
        if (!isFsError(err, "NotFound")) throw err;
      });
    }
  }

  async create(dirId: FileId, name: string, node: NewNode, _now: Timespec): Promise<Created> {
    await this.fresh(dirId);
    const dirPath = this.pathOf(dirId);
    const path = [...dirPath, name];
    const before = await this.dirStamp(dirId, dirPath);
    const mirrored = (await this.inner.lookupIn(dirId, name)).entry;
    if (mirrored && (await this.entryOnDisk(dirId, name, mirrored))) throw fsError("Exists", `${name} exists`);
    const disk = this.parts.disk;
    switch (node.type) {
      case "file":
        await disk.createFile(path, node.mode & 0o7777);
        break;
      case "dir":
        await disk.mkdir(path, node.mode & 0o7777);
        break;
      case "symlink":
        await disk.symlink(path, node.symlinkTarget ?? "");
        break;
      default:
        throw fsError("NotSupported", `a folder share cannot make a ${node.type}`);
    }
    let st = await disk.lstat(path);
    // The mode exactly as asked (creation applied the server's umask), when that differs.
    const mode = node.mode & 0o7777;
    const chmodded = node.type !== "symlink" && Number(st.mode & 0o7777n) !== mode;
    if (chmodded) await disk.chmod(path, mode);
    const owner = await this.applyOwner(path, node.uid, node.gid, st);
    if (chmodded || owner.chowned) st = await disk.lstat(path);
    const dirSt = await disk.lstat(dirPath);
    const contentId = node.type === "file" ? (node.contentId ?? newContentId()) : null;
    const created = await this.inner.create(dirId, name, { ...node, ...diskAttrs(st), uid: node.uid, gid: node.gid, contentId }, changeTime(dirSt));
    this.parts.index.put({ nodeId: created.attr.id, parentId: dirId, name, dev: String(st.dev), ino: inodeOf(st), contentId, ...owner.kept });
    this.checked.set(created.attr.id, Date.now());
    return { attr: created.attr, dir: await this.afterDirChange(dirId, before, dirSt, created.dir) };
  }

  createMany(_dirId: FileId, _entries: readonly NewEntry[], _now: Timespec): Promise<Array<FileAttr | null>> {
    return Promise.reject(fsError("NotSupported", "a folder share creates names one at a time"));
  }

  async link(dirId: FileId, name: string, targetId: FileId, _now: Timespec): Promise<FileAttr> {
    await this.fresh(dirId);
    const dirPath = this.pathOf(dirId);
    const before = await this.dirStamp(dirId, dirPath);
    await this.parts.disk.link(this.pathOf(targetId), [...dirPath, name]);
    const dirSt = await this.parts.disk.lstat(dirPath);
    const linked = await this.inner.link(dirId, name, targetId, changeTime(dirSt));
    await this.afterDirChange(dirId, before, dirSt, null);
    return this.revalidate(linked, true);
  }

  async unlink(dirId: FileId, name: string, _now: Timespec, only?: UnlinkOnly): Promise<Removed> {
    await this.fresh(dirId);
    const dirPath = this.pathOf(dirId);
    const before = await this.dirStamp(dirId, dirPath);
    const entry = await this.inner.lookup(dirId, name);
    checkUnlinkable(entry.type, only, name);
    const path = [...dirPath, name];
    if (entry.type === "dir") await this.parts.disk.rmdir(path);
    else await this.parts.disk.unlink(path);
    const dirSt = await this.parts.disk.lstat(dirPath);
    const removed = await this.inner.unlink(dirId, name, changeTime(dirSt), only);
    this.forgetIfGone(removed);
    return { ...removed, dir: await this.afterDirChange(dirId, before, dirSt, removed.dir) };
  }

  async rename(
    fromDirId: FileId,
    fromName: string,
    toDirId: FileId,
    toName: string,
    _now: Timespec,
  ): Promise<{ moved: FileAttr; replaced: Unlinked | null }> {
    await this.fresh(fromDirId);
    if (toDirId !== fromDirId) await this.fresh(toDirId);
    const fromPath = this.pathOf(fromDirId);
    const toPath = this.pathOf(toDirId);
    const fromBefore = await this.dirStamp(fromDirId, fromPath);
    const toBefore = toDirId === fromDirId ? fromBefore : await this.dirStamp(toDirId, toPath);
    await this.parts.disk.rename([...fromPath, fromName], [...toPath, toName]);
    const fromSt = await this.parts.disk.lstat(fromPath);
    const toSt = toDirId === fromDirId ? fromSt : await this.parts.disk.lstat(toPath);
    const result = await this.inner.rename(fromDirId, fromName, toDirId, toName, changeTime(toSt));
    this.parts.index.move(result.moved.id, toDirId, toName);
    if (result.replaced) this.forgetIfGone(result.replaced);
    await this.afterDirChange(fromDirId, fromBefore, fromSt, null);
    if (toDirId !== fromDirId) await this.afterDirChange(toDirId, toBefore, toSt, null);
    return { moved: await this.revalidate(result.moved, true), replaced: result.replaced };
  }

  /**
   * Mode, owner and times go to the disk (the size reaches it through the content store); ctime
   * is the disk's; creation time and DOS attributes live only in the mirror.
   */
  async setAttr(id: FileId, changes: AttrChanges): Promise<FileAttr> {
    const attr = await this.inner.get(id);
    const path = this.pathOf(id);
    const disk = this.parts.disk;
    let st = await disk.lstat(path);
    if (changes.mode !== undefined && attr.type !== "symlink" && changes.mode !== Number(st.mode & 0o7777n)) await disk.chmod(path, changes.mode);
    if (changes.uid !== undefined || changes.gid !== undefined) {
      const owner = await this.applyOwner(path, changes.uid ?? attr.uid, changes.gid ?? attr.gid, st);
      this.parts.index.setOwner(id, owner.kept.ownerUid, owner.kept.ownerGid);
    }
    if (changes.atime !== undefined || changes.mtime !== undefined) {
      await disk.utimes(path, changes.atime ? toNs(changes.atime) : st.atimeNs, changes.mtime ? toNs(changes.mtime) : st.mtimeNs);
    }
    st = await disk.lstat(path);
    const { size, birthtime, dosAttributes } = changes;
    const updated = await this.inner.setAttr(id, {
      ...this.diskChanges(this.parts.index.byNode(id), st),
      // The service resizes the content itself, after this (a truncation) or before (a WRITE,
      // whose bytes are on disk already; a concurrent one may have grown the file further).
      ...(size !== undefined && { size }),
      ...(birthtime && { birthtime }),
      ...(dosAttributes !== undefined && { dosAttributes }),
    });
    this.checked.set(id, Date.now());
    return updated;
  }

  /** A WRITE: the disk has the bytes and the times already; the mirror takes them, and the size the service computed. */
  async wrote(id: FileId, changes: AttrChanges): Promise<FileAttr> {
    const st = await this.parts.disk.lstat(this.pathOf(id));
    const { size, dosAttributes } = changes;
    const updated = await this.inner.setAttr(id, { ...this.diskChanges(this.parts.index.byNode(id), st), ...(size !== undefined && { size }), ...(dosAttributes !== undefined && { dosAttributes }) });
    this.checked.set(id, Date.now());
    return updated;
  }

  /** Lists the directory from the disk again now. */
  async refresh(dirId: FileId): Promise<void> {
    await this.fresh(dirId, true);
  }

  /** The wrapped store, the index and the disk belong to the registry and the content store, which close them. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The names of a node from the root (NotFound for a node the index no longer knows). */
  private pathOf(id: FileId): Names {
    const path = this.parts.index.pathOf(id);
    if (!path) throw fsError("NotFound", `node ${id} is no longer in the folder`);
    return path;
  }

  /**
   * The node's attributes after comparing it with the disk (when its last check is older than
   * revalidateMs, or `force`): NotFound when its file is gone or its path holds another inode.
   */
  private async revalidate(attr: FileAttr, force = false): Promise<FileAttr> {
    if (!force && !this.due(attr.id)) return attr;
    const node = this.parts.index.byNode(attr.id);
    if (!node) throw fsError("NotFound", `node ${attr.id} is no longer in the folder`);
    const path = this.parts.index.pathOf(attr.id);
    const st = path && (await this.parts.disk.lstat(path).catch(notFoundAsNull));
    if (!st || inodeOf(st) !== node.ino || String(st.dev) !== node.dev || typeOf(st) !== attr.type) {
      throw fsError("NotFound", `the file of node ${attr.id} is gone from the folder`);
    }
    return this.takeDisk(attr, node, st);
  }

  /** Mirrors what the disk says of a node (mode, owner, size, times) when it differs. */
  private async takeDisk(attr: FileAttr, node: FolderNode, st: BigIntStats): Promise<FileAttr> {
    this.checked.set(attr.id, Date.now());
    const changes = this.diskChanges(node, st);
    const differs = (Object.keys(changes) as Array<keyof typeof changes>).some((key) => !sameValue(attr[key], changes[key]));
    return differs ? this.inner.setAttr(attr.id, changes) : attr;
  }

  /** The attributes the disk holds of a node, with the owner its index row keeps in place of the disk's. */
  private diskChanges(node: FolderNode | null, st: BigIntStats): AttrChanges {
    const { mode, size, atime, mtime, ctime, uid, gid } = diskAttrs(st);
    return { mode, size, atime, mtime, ctime, uid: node?.ownerUid ?? uid, gid: node?.ownerGid ?? gid };
  }

  private due(id: FileId, checks = this.checked): boolean {
    const at = checks.get(id);
    return at === undefined || Date.now() - at >= this.options.revalidateMs;
  }

  /**
   * Brings the mirror of a directory in line with the disk when it is due: listed again when its
   * mtime or ctime moved since its last listing. Concurrent callers share one listing.
   */
  private async fresh(dirId: FileId, force = false): Promise<void> {
    if (!force && !this.due(dirId, this.listChecked)) return;
    const running = this.listing.get(dirId);
    if (running) return running;
    const listing = this.relist(dirId).finally(() => this.listing.delete(dirId));
    this.listing.set(dirId, listing);
    return listing;
  }

  private async relist(dirId: FileId): Promise<void> {
    const dir = await this.inner.get(dirId);
    if (dir.type !== "dir") return;
    const node = this.parts.index.byNode(dirId);
    const path = this.parts.index.pathOf(dirId);
    const st = path && (await this.parts.disk.lstat(path).catch(notFoundAsNull));
    if (!node || !path || !st || inodeOf(st) !== node.ino || !st.isDirectory()) throw fsError("NotFound", `directory ${dirId} is gone from the folder`);
    const stamp = stampOf(st);
    if (node.listed === stamp) {
      this.listChecked.set(dirId, Date.now());
      await this.takeDisk(dir, node, st);
      return;
    }
    const onDisk = new Set(await this.parts.disk.readdir(path));
    const mirrored = await this.mirrored(dirId);
    const now = fromNs(st.ctimeNs);
    // New names first: a file renamed on disk takes its node along from its old name.
    for (const name of onDisk) {
      const childSt = await this.parts.disk.lstat([...path, name]).catch(notFoundAsNull);
      if (!childSt) continue;
      const known = mirrored.get(name);
      const knownNode = known && this.parts.index.byNode(known.id);
      if (known && knownNode && knownNode.ino === inodeOf(childSt) && knownNode.dev === String(childSt.dev) && known.type === typeOf(childSt)) {
        await this.takeDisk(known, knownNode, childSt);
        continue;
      }
      if (known) await this.dropMirrored(dirId, name, known, now);
      await this.adopt(dirId, name, childSt, now);
    }
    for (const [name, child] of mirrored) {
      if (!onDisk.has(name)) await this.dropMirrored(dirId, name, child, now);
    }
    // Listed as of the stat taken before reading it: a change made meanwhile moves the stamp again.
    this.parts.index.setListed(dirId, stamp);
    this.listChecked.set(dirId, Date.now());
    await this.takeDisk(await this.inner.get(dirId), this.parts.index.byNode(dirId)!, st);
  }

  /** The mirror's entries of a directory, by name. */
  private async mirrored(dirId: FileId): Promise<Map<string, FileAttr>> {
    const entries = new Map<string, FileAttr>();
    for (let cookie = 0; ; ) {
      const page = await this.inner.readDir(dirId, cookie, MIRROR_PAGE);
      for (const entry of page.entries) {
        entries.set(entry.name, entry.attr);
        cookie = entry.cookie;
      }
      if (page.eof || page.entries.length === 0) return entries;
    }
  }

  /**
   * A name found on disk that the mirror does not have: a file or directory the index knows by
   * inode keeps its node (see takeAlong); anything else gets a new one.
   */
  private async adopt(dirId: FileId, name: string, st: BigIntStats, now: Timespec): Promise<void> {
    const type = typeOf(st);
    const dev = String(st.dev);
    const ino = inodeOf(st);
    const known = this.parts.index.byInode(dev, ino);
    if (known && (type === "file" || type === "dir") && (await this.takeAlong(known, type, dirId, name, now))) return;
    const contentId = type === "file" ? newContentId() : null;
    const symlinkTarget = type === "symlink" ? await this.parts.disk.readlink([...this.pathOf(dirId), name]) : undefined;
    const created = await this.inner.create(dirId, name, { type, ...diskAttrs(st), contentId, rdev: { major: 0, minor: 0 }, symlinkTarget }, now);
    this.parts.index.put({ nodeId: created.attr.id, parentId: dirId, name, dev, ino, contentId, ownerUid: null, ownerGid: null });
    this.checked.set(created.attr.id, Date.now());
  }

  /**
   * Gives a name found on disk the node the index knows by its inode, so that handles stay good:
   * a file or directory renamed on disk moves its node (what is under a directory follows), and
   * a file hard-linked on disk gets one more name. False when the node cannot be taken along
   * (gone from the mirror, or a move the mirror refuses): the name then gets a new node.
   */
  private async takeAlong(known: FolderNode, type: "file" | "dir", dirId: FileId, name: string, now: Timespec): Promise<boolean> {
    if (known.parentId === null || !(await this.inner.get(known.nodeId).catch(notFoundAsNull))) return false;
    const oldPath = this.parts.index.pathOf(known.parentId);
    const stillThere = oldPath && (await this.parts.disk.lstat([...oldPath, known.name]).catch(notFoundAsNull));
    const oldEntry = await this.inner.lookup(known.parentId, known.name).catch(notFoundAsNull);
    const moved = oldEntry?.id === known.nodeId && !(stillThere && inodeOf(stillThere) === known.ino);
    if (moved) {
      const renamed = await this.inner.rename(known.parentId, known.name, dirId, name, now).then(
        () => true,
        (err: unknown) => {
          if (!isFsError(err)) throw err;
          return false;
        },
      );
      if (renamed) {
        this.parts.index.move(known.nodeId, dirId, name);
        return true;
      }
    }
    // A directory has one name: one the mirror still holds elsewhere is not this one.
    if (type === "dir") return false;
    await this.inner.link(dirId, name, known.nodeId, now);
    return true;
  }

  /** Removes a name the disk no longer has from the mirror (a directory with everything under it). */
  private async dropMirrored(dirId: FileId, name: string, attr: FileAttr, now: Timespec): Promise<void> {
    // Gone already: taken along by a rename found on disk.
    const current = await this.inner.lookup(dirId, name).catch(notFoundAsNull);
    if (current?.id !== attr.id) return;
    if (attr.type === "dir") {
      for (const [childName, child] of await this.mirrored(attr.id)) await this.dropMirrored(attr.id, childName, child, now);
    }
    const removed = await this.inner.unlink(dirId, name, now).catch(notFoundAsNull);
    if (removed) this.forgetIfGone(removed);
  }

  private forgetIfGone(removed: Unlinked): void {
    if (removed.node.nlink > 0) return;
    this.parts.index.remove(removed.node.id);
    this.checked.delete(removed.node.id);
    this.listChecked.delete(removed.node.id);
  }

  /** The directory's stamp now, when its mirror is up to date with the disk (else null). */
  private async dirStamp(dirId: FileId, path: Names): Promise<string | null> {
    const st = await this.parts.disk.lstat(path);
    const stamp = stampOf(st);
    return this.parts.index.byNode(dirId)?.listed === stamp ? stamp : null;
  }

  /**
   * After a change of ours to a directory (`st`: its stat after it): a mirror that was up to
   * date before stays so (the new stamp is ours, not another program's), and the directory's
   * attributes follow the disk.
   */
  private async afterDirChange(dirId: FileId, before: string | null, st: BigIntStats, dir: FileAttr | null): Promise<FileAttr> {
    if (before !== null) this.parts.index.setListed(dirId, stampOf(st));
    this.unsyncedDirs.add(dirId);
    return this.takeDisk(dir ?? (await this.inner.get(dirId)), this.parts.index.byNode(dirId)!, st);
  }

  /**
   * Gives the file (whose stat is `st`) the owner a client asked for: on disk when the server runs
   * as root, else kept in the index (`kept`: what differs from the disk's owner).
   */
  private async applyOwner(path: Names, uid: number, gid: number, st: BigIntStats): Promise<{ chowned: boolean; kept: { ownerUid: number | null; ownerGid: number | null } }> {
    const same = uid === Number(st.uid) && gid === Number(st.gid);
    if (asRoot) {
      if (!same) await this.parts.disk.chown(path, uid, gid);
      return { chowned: !same, kept: { ownerUid: null, ownerGid: null } };
    }
    return { chowned: false, kept: { ownerUid: uid === Number(st.uid) ? null : uid, ownerGid: gid === Number(st.gid) ? null : gid } };
  }
}

function notFoundAsNull(err: unknown): null {
  if (isFsError(err, "NotFound") || isFsError(err, "NotDir")) return null;
  throw err;
}

/**
 * A file's identity within its device: the inode number and, as its generation, the birth time
 * (an inode number reused for a new file comes with a new birth time).
 */
function inodeOf(st: BigIntStats): string {
  return `${st.ino}:${st.birthtimeNs}`;
}

function typeOf(st: BigIntStats): FileType {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFIFO()) return "fifo";
  if (st.isSocket()) return "socket";
  if (st.isBlockDevice()) return "block";
  return "char";
}

function fromNs(ns: bigint): Timespec {
  let sec = ns / NS;
  if (ns < 0n && sec * NS !== ns) sec -= 1n;
  return { sec: Number(sec), nsec: Number(ns - sec * NS) };
}

function toNs(t: Timespec): bigint {
  return BigInt(t.sec) * NS + BigInt(t.nsec);
}

/**
 * The time a change of ours gave a directory on disk, for the mirror's change of it: the mirror
 * then holds the disk's times, with no second write to correct them.
 */
function changeTime(dirSt: BigIntStats): Timespec {
  return fromNs(dirSt.mtimeNs);
}

/** A directory's listing is current while its mtime and ctime stay as they were. */
function stampOf(st: BigIntStats): string {
  return `${st.mtimeNs}:${st.ctimeNs}`;
}

function diskAttrs(st: BigIntStats) {
  const ctime = fromNs(st.ctimeNs);
  return {
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    atime: fromNs(st.atimeNs),
    mtime: fromNs(st.mtimeNs),
    ctime,
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const x = a as Timespec;
    const y = b as Timespec;
    return x.sec === y.sec && x.nsec === y.nsec;
  }
  return a === b;
}
