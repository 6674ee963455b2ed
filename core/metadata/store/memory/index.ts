import { randomBytes } from "node:crypto";
import { fsError } from "../../../errors.js";
import { checkUnlinkable, type Created, type MetadataStore, type NewEntry, type Removed, type UnlinkOnly } from "../../store.js";
import type {
  AttrChanges,
  DirEntry,
  DirPage,
  FileAttr,
  FileId,
  NewNode,
  StoreUsage,
  Timespec,
  Unlinked,
} from "../../types.js";

/** One name in a directory. Removed slots stay (marked dead) until the directory compacts. */
interface DirSlot {
  cookie: number;
  name: string;
  childId: FileId;
  live: boolean;
}

interface DirState {
  byName: Map<string, DirSlot>;
  /** Every slot in cookie order, so a listing resumes with a binary search. */
  slots: DirSlot[];
  deadSlots: number;
  nextCookie: number;
}

interface MemNode {
  attr: FileAttr;
  symlinkTarget: string | null;
  /** Set for directories only. */
  dir: DirState | null;
  /** A directory's parent (a root's is itself); null for other types, which may have many names. */
  parentId: FileId | null;
}

const SECRET_BYTES = 32;

/** Compact a directory's slot list once this many slots, and over half of them, are dead. */
const COMPACT_MIN_DEAD = 64;

/**
 * An in-memory metadata store: fast, gone on restart. Nodes may have many names (hard links);
 * directories have exactly one parent. Every method runs synchronously inside its promise, so
 * each is atomic with respect to the others.
 */
export class MemoryMetadataStore implements MetadataStore {
  readonly kind = "memory";

  /** Random per instance so that ids never repeat, not even across restarts. */
  private readonly idPrefix = randomBytes(8).toString("hex");
  private nextIno = 1;
  private readonly nodes = new Map<FileId, MemNode>();
  private readonly roots = new Map<string, FileId>();
  private readonly secrets = new Map<string, Buffer>();
  private fileBytes = 0;
  private closed = false;

  async getOrCreateRoot(shareName: string, init: NewNode): Promise<FileAttr> {
    this.checkOpen();
    const existing = this.roots.get(shareName);
    if (existing !== undefined) return copy(this.node(existing).attr);
    if (init.type !== "dir") throw fsError("Invalid", `root of share ${shareName} must be a directory`);
    const root = this.insertNode(init, null, null);
    root.parentId = root.attr.id;
    this.roots.set(shareName, root.attr.id);
    return copy(root.attr);
  }

  async get(id: FileId): Promise<FileAttr> {
    this.checkOpen();
    return copy(this.node(id).attr);
  }

  async lookup(dirId: FileId, name: string): Promise<FileAttr> {
    this.checkOpen();
    const slot = this.dirState(dirId).byName.get(name);
    if (!slot) throw fsError("NotFound", `no entry '${name}' in directory ${dirId}`);
    return copy(this.node(slot.childId).attr);
  }

  async lookupIn(dirId: FileId, name: string): Promise<{ dir: FileAttr; entry: FileAttr | null }> {
    this.checkOpen();
    const parent = this.node(dirId);
    const slot = parent.dir?.byName.get(name);
    return { dir: copy(parent.attr), entry: slot ? copy(this.node(slot.childId).attr) : null };
  }

  async create(dirId: FileId, name: string, node: NewNode, now: Timespec): Promise<Created> {
    this.checkOpen();
    const parent = this.node(dirId);
    const dir = dirOf(parent);
    if (dir.byName.has(name)) throw fsError("Exists", `'${name}' exists in directory ${dirId}`);
    const child = this.insertNode(node, node.type === "dir" ? dirId : null, parent.attr.shareRoot);
    addSlot(dir, name, child.attr.id);
    if (node.type === "dir") parent.attr.nlink += 1;
    touch(parent, now);
    return { attr: copy(child.attr), dir: copy(parent.attr) };
  }

  async createMany(dirId: FileId, entries: readonly NewEntry[], now: Timespec): Promise<Array<FileAttr | null>> {
    this.checkOpen();
    const parent = this.node(dirId);
    const dir = dirOf(parent);
    let created = 0;
    const result = entries.map(({ name, node }) => {
      if (dir.byName.has(name)) return null;
      const child = this.insertNode(node, node.type === "dir" ? dirId : null, parent.attr.shareRoot);
      addSlot(dir, name, child.attr.id);
      if (node.type === "dir") parent.attr.nlink += 1;
      created += 1;
      return copy(child.attr);
    });
    if (created > 0) touch(parent, now);
    return result;
  }

  async link(dirId: FileId, name: string, targetId: FileId, now: Timespec): Promise<FileAttr> {
    this.checkOpen();
    const parent = this.node(dirId);
    const dir = dirOf(parent);
    const target = this.node(targetId);
    if (target.dir) throw fsError("IsDir", `cannot hard-link directory ${targetId}`);
    if (dir.byName.has(name)) throw fsError("Exists", `'${name}' exists in directory ${dirId}`);
    addSlot(dir, name, targetId);
    target.attr.nlink += 1;
    target.attr.ctime = ts(now);
    touch(parent, now);
    return copy(target.attr);
  }

  async unlink(dirId: FileId, name: string, now: Timespec, only?: UnlinkOnly): Promise<Removed> {
    this.checkOpen();
    const parent = this.node(dirId);
    const dir = dirOf(parent);
    const slot = dir.byName.get(name);
    if (!slot) throw fsError("NotFound", `no entry '${name}' in directory ${dirId}`);
    const child = this.node(slot.childId);
    checkUnlinkable(child.attr.type, only, name);
    if (child.dir && child.dir.byName.size > 0) throw fsError("NotEmpty", `directory '${name}' is not empty`);
    removeSlot(dir, slot);
    const result = this.dropName(parent, child, now);
    touch(parent, now);
    return { ...result, dir: copy(parent.attr) };
  }

  async rename(
    fromDirId: FileId,
    fromName: string,
    toDirId: FileId,
    toName: string,
    now: Timespec,
  ): Promise<{ moved: FileAttr; replaced: Unlinked | null }> {
    this.checkOpen();
    const fromParent = this.node(fromDirId);
    const toParent = this.node(toDirId);
    const fromDir = dirOf(fromParent);
    const toDir = dirOf(toParent);
    const slot = fromDir.byName.get(fromName);
    if (!slot) throw fsError("NotFound", `no entry '${fromName}' in directory ${fromDirId}`);
    const moved = this.node(slot.childId);
    const targetSlot = toDir.byName.get(toName);
    if (targetSlot?.childId === slot.childId) return { moved: copy(moved.attr), replaced: null };

    const crossesParents = fromDirId !== toDirId;
    if (moved.dir && crossesParents && this.isWithin(toDirId, slot.childId)) {
      throw fsError("Invalid", `cannot move directory ${slot.childId} into its own subtree`);
    }
    const target = targetSlot ? this.node(targetSlot.childId) : null;
    if (target) checkReplaceable(moved, target, toName);

    let replaced: Unlinked | null = null;
    if (targetSlot && target) {
      removeSlot(toDir, targetSlot);
      replaced = this.dropName(toParent, target, now);
    }
    removeSlot(fromDir, slot);
    addSlot(toDir, toName, slot.childId);
    if (moved.dir && crossesParents) {
      fromParent.attr.nlink -= 1;
      toParent.attr.nlink += 1;
      moved.parentId = toDirId;
    }
    moved.attr.ctime = ts(now);
    touch(fromParent, now);
    touch(toParent, now);
    return { moved: copy(moved.attr), replaced };
  }

  async setAttr(id: FileId, changes: AttrChanges): Promise<FileAttr> {
    this.checkOpen();
    const node = this.node(id);
    const a = node.attr;
    if (changes.size !== undefined && a.type === "file") this.fileBytes += changes.size - a.size;
    if (changes.mode !== undefined) a.mode = changes.mode;
    if (changes.uid !== undefined) a.uid = changes.uid;
    if (changes.gid !== undefined) a.gid = changes.gid;
    if (changes.size !== undefined) a.size = changes.size;
    if (changes.atime !== undefined) a.atime = ts(changes.atime);
    if (changes.mtime !== undefined) a.mtime = ts(changes.mtime);
    if (changes.ctime !== undefined) a.ctime = ts(changes.ctime);
    if (changes.birthtime !== undefined) a.birthtime = ts(changes.birthtime);
    if (changes.dosAttributes !== undefined) a.dosAttributes = changes.dosAttributes;
    return copy(a);
  }

  async readDir(dirId: FileId, afterCookie: number, limit: number): Promise<DirPage> {
    this.checkOpen();
    const dir = this.dirState(dirId);
    const slots = dir.slots;
    const entries: DirEntry[] = [];
    let i = firstSlotAfter(slots, afterCookie);
    for (; i < slots.length && entries.length < limit; i++) {
      const slot = slots[i]!;
      if (slot.live) entries.push({ name: slot.name, cookie: slot.cookie, attr: copy(this.node(slot.childId).attr) });
    }
    while (i < slots.length && !slots[i]!.live) i++;
    return { entries, eof: i >= slots.length };
  }

  async parentOf(dirId: FileId): Promise<FileAttr> {
    this.checkOpen();
    const node = this.node(dirId);
    if (!node.dir || node.parentId === null) throw fsError("NotDir", `${dirId} is not a directory`);
    return copy(this.node(node.parentId).attr);
  }

  async readLink(id: FileId): Promise<string> {
    this.checkOpen();
    const node = this.node(id);
    if (node.symlinkTarget === null) throw fsError("Invalid", `${id} is not a symbolic link`);
    return node.symlinkTarget;
  }

  /** Nothing here outlives the process: nothing to sync. */
  async sync(): Promise<void> {
    this.checkOpen();
  }

  async secret(name: string): Promise<Buffer> {
    this.checkOpen();
    let secret = this.secrets.get(name);
    if (!secret) {
      secret = randomBytes(SECRET_BYTES);
      this.secrets.set(name, secret);
    }
    return Buffer.from(secret);
  }

  async usage(): Promise<StoreUsage> {
    this.checkOpen();
    return { files: this.nodes.size, bytes: this.fileBytes };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.nodes.clear();
    this.roots.clear();
  }

  private checkOpen(): void {
    if (this.closed) throw fsError("Io", "metadata store is closed");
  }

  private node(id: FileId): MemNode {
    const node = this.nodes.get(id);
    if (!node) throw fsError("NotFound", `no file ${id}`);
    return node;
  }

  private dirState(id: FileId): DirState {
    return dirOf(this.node(id));
  }

  /** A new node in the tree of `shareRoot` (null: the node is a new share's root). */
  private insertNode(init: NewNode, parentId: FileId | null, shareRoot: FileId | null): MemNode {
    const ino = this.nextIno++;
    const id = `${this.idPrefix}-${ino.toString(36)}`;
    const isDir = init.type === "dir";
    const node: MemNode = {
      attr: {
        id,
        ino,
        type: init.type,
        mode: init.mode,
        nlink: isDir ? 2 : 1,
        uid: init.uid,
        gid: init.gid,
        size: init.size,
        atime: ts(init.atime),
        mtime: ts(init.mtime),
        ctime: ts(init.ctime),
        birthtime: ts(init.birthtime ?? init.ctime),
        dosAttributes: init.dosAttributes ?? 0,
        contentId: init.contentId,
        rdev: { major: init.rdev.major, minor: init.rdev.minor },
        shareRoot: shareRoot ?? id,
      },
      symlinkTarget: init.type === "symlink" ? (init.symlinkTarget ?? "") : null,
      dir: isDir ? { byName: new Map(), slots: [], deadSlots: 0, nextCookie: 1 } : null,
      parentId,
    };
    this.nodes.set(id, node);
    if (init.type === "file") this.fileBytes += init.size;
    return node;
  }

  /** Drops one name of `child` (already taken out of `parent`'s entries); deletes it at nlink 0. */
  private dropName(parent: MemNode, child: MemNode, now: Timespec): Unlinked {
    const a = child.attr;
    if (child.dir) {
      a.nlink = 0;
      parent.attr.nlink -= 1;
    } else {
      a.nlink -= 1;
      a.ctime = ts(now);
    }
    if (a.nlink === 0) {
      this.nodes.delete(a.id);
      if (a.type === "file") this.fileBytes -= a.size;
    }
    return { node: copy(a) };
  }

  /** Whether `id` is `ancestorId` or lies below it. */
  private isWithin(id: FileId, ancestorId: FileId): boolean {
    let current = id;
    for (;;) {
      if (current === ancestorId) return true;
      const parentId = this.node(current).parentId;
      if (parentId === null || parentId === current) return false;
      current = parentId;
    }
  }
}

function dirOf(node: MemNode): DirState {
  if (!node.dir) throw fsError("NotDir", `${node.attr.id} is not a directory`);
  return node.dir;
}

function checkReplaceable(moved: MemNode, target: MemNode, toName: string): void {
  if (moved.dir && !target.dir) throw fsError("NotDir", `cannot replace non-directory '${toName}' with a directory`);
  if (!moved.dir && target.dir) throw fsError("IsDir", `cannot replace directory '${toName}' with a non-directory`);
  if (target.dir && target.dir.byName.size > 0) throw fsError("NotEmpty", `directory '${toName}' is not empty`);
}

function addSlot(dir: DirState, name: string, childId: FileId): void {
  const slot: DirSlot = { cookie: dir.nextCookie++, name, childId, live: true };
  dir.byName.set(name, slot);
  dir.slots.push(slot);
}

function removeSlot(dir: DirState, slot: DirSlot): void {
  dir.byName.delete(slot.name);
  slot.live = false;
  dir.deadSlots += 1;
  if (dir.deadSlots >= COMPACT_MIN_DEAD && dir.deadSlots * 2 > dir.slots.length) {
    dir.slots = dir.slots.filter((s) => s.live);
    dir.deadSlots = 0;
  }
}

/** Index of the first slot whose cookie is greater than `cookie` (slots are sorted by cookie). */
function firstSlotAfter(slots: DirSlot[], cookie: number): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (slots[mid]!.cookie <= cookie) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function touch(dir: MemNode, now: Timespec): void {
  dir.attr.mtime = ts(now);
  dir.attr.ctime = ts(now);
}

function ts(t: Timespec): Timespec {
  return { sec: t.sec, nsec: t.nsec };
}

/** Callers get copies, so that an attribute they hold (a wcc "before") never changes under them. */
function copy(a: FileAttr): FileAttr {
  return { ...a };
}
