import { randomUUID } from "node:crypto";
import { FsError, fsError, isFsError, type FsErrorCode } from "../errors.js";
import type { ContentPlace } from "../content/store.js";
import type { Logger } from "../util/logger.js";
import type { NamePatterns } from "../util/name-patterns.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
import { KeyedRwLock } from "../util/keyed-rw-lock.js";
import { LockManager } from "./locking.js";
import { type Created, FULL_CAPABILITIES, type MetadataStore, type StoreCapabilities } from "./store.js";
import {
  DOS_ARCHIVE,
  DOS_ATTRIBUTES_KEPT,
  timespecNow,
  wccOf,
  type AttrChanges,
  type AuthContext,
  type DeviceNumber,
  type DirPage,
  type FileAttr,
  type FileId,
  type FileType,
  type NewNode,
  type StoreUsage,
  type Timespec,
  type Unlinked,
  type Wcc,
} from "./types.js";

/** Attribute changes a client asks for (NFS sattr3, SMB set-info). */
export interface SetAttrRequest {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec | "now";
  mtime?: Timespec | "now";
  /** The creation time (SMB). */
  birthtime?: Timespec;
  /** An explicit change time (SMB lets clients set it); otherwise every change sets it to now. */
  ctime?: Timespec;
  /** The DOS attribute bits kept with the node (SMB; see DOS_ATTRIBUTES_KEPT), replacing the old ones. */
  dosAttributes?: number;
}

export type CreateHow =
  | { mode: "unchecked" | "guarded"; attrs: SetAttrRequest }
  | { mode: "exclusive"; verifier: Buffer };

/**
 * A name that came, went or moved in a directory (for change notification). A rename within one
 * directory is "renamed-from" then "renamed-to"; a move to another directory is "removed" then
 * "added", both with `renamed`.
 */
export interface NameChange {
  share: string;
  dirId: FileId;
  name: string;
  action: "added" | "removed" | "renamed-from" | "renamed-to";
  /** The node the name holds (held, for "removed"). */
  id: FileId;
  isDir: boolean;
  renamed?: boolean;
}

/** What a change of a node's attributes touched. */
export type AttrChangeKind = "size" | "mode" | "owner" | "atime" | "mtime" | "dos" | "birthtime";

/** A node whose attributes changed (SETATTR, WRITE, truncation by CREATE), for change notification. */
export interface AttrChange {
  share: string;
  id: FileId;
  kinds: readonly AttrChangeKind[];
}

/** Where a name of a node was last seen: its directory and the name there. */
export interface NodeName {
  dirId: FileId;
  name: string;
}

/** Names remembered per service while attribute changes are watched (LRU). */
const MAX_NAME_HINTS = 16384;
/** Directory entries read per page when a directory's name is looked for in its parent. */
const NAME_SCAN_PAGE = 1024;

/** A LOOKUP of a free name, with the directory it searched (a reply carries its attributes). */
export class NameNotFound extends FsError {
  constructor(
    readonly dir: FileAttr,
    message: string,
  ) {
    super("NotFound", message);
  }
}

/** ACCESS bits, as RFC 1813 §3.3.4 numbers them (the service speaks them; they are plain bits). */
export const ACCESS_READ = 0x01;
export const ACCESS_LOOKUP = 0x02;
export const ACCESS_MODIFY = 0x04;
export const ACCESS_EXTEND = 0x08;
export const ACCESS_DELETE = 0x10;
export const ACCESS_EXECUTE = 0x20;

/**
 * What the metadata service has done to a file's content, in order with its own changes (the
 * registry wires it to the ContentService). Calls for one file never overlap a WRITE of it.
 */
export interface ContentCoordinator {
  /** The file's size became `size` (SETATTR, CREATE over an existing file): its content follows. */
  resize(share: string, contentId: string, size: number): Promise<void>;
  /** The file's last name is gone (REMOVE, RENAME over it): its content may go. Must not throw. */
  release(share: string, contentId: string): Promise<void>;
  /**
   * The file's content is kept on this computer only ("local") or in the remote store from now
   * on (its name became or stopped being a litter name); `fresh` for a file being created.
   */
  place(share: string, contentId: string, where: ContentPlace, fresh?: boolean): Promise<void>;
}

/** A coordinator for a service without content (tests of metadata alone). */
const NO_CONTENT: ContentCoordinator = {
  resize: async () => {},
  release: async () => {},
  place: async () => {},
};

export interface ShareBinding {
  name: string;
  store: MetadataStore;
  readOnly: boolean;
  /** Owner and mode of the share's root directory when it is first created. */
  rootUid: number;
  rootGid: number;
  rootMode: number;
  /**
   * Names of files whose content stays on this computer (ShareConfig.litter), for shares whose
   * content has a remote side; none when absent.
   */
  localNames?: NamePatterns;
}

interface ShareState {
  name: string;
  store: MetadataStore;
  readOnly: boolean;
  localNames: NamePatterns | null;
  rootId: FileId;
  locks: LockManager;
}

/** Longest name in bytes of UTF-8 (NAME_MAX). */
const MAX_NAME_BYTES = 255;
/** Longest symbolic link target in bytes (PATH_MAX). */
const MAX_SYMLINK_BYTES = 4096;
/** Most names one file may have. */
const MAX_LINKS = 65535;
/** What a directory reports as its size. */
const DIR_SIZE = 4096;

const PERM_READ = 4;
const PERM_WRITE = 2;
const PERM_EXEC = 1;

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;
const S_IXGRP = 0o010;
const ANY_EXEC = 0o111;

/**
 * The metadata side of the file server: routes each call by share name to the share's store and
 * applies the rules the stores do not know — permissions, names, rename rules, create modes,
 * times and weak cache consistency data.
 *
 * Choices where the specs leave room (they follow Linux and its knfsd):
 * - Root (uid 0) passes read and write checks and may search any directory, but may execute a
 *   non-directory only when some execute bit is set.
 * - The owner of a file may always read and write its data (read/write, and truncation
 *   through setAttr), whatever its mode: a client that created a file read-only must still be able
 *   to write what it is copying into it. Reading also passes with execute permission alone.
 * - Names: empty or containing "/" or NUL are Invalid (NotFound for lookup: no such name can
 *   exist), longer than 255 bytes NameTooLong. Creating (create, mkdir, symlink, mknod, link)
 *   "." or ".." is Exists; remove and rename of "." or ".." are Invalid; rmdir "." is Invalid and
 *   rmdir ".." NotEmpty.
 * - Sticky-bit violations are Perm, like Linux's EPERM.
 * - New nodes in a setgid directory take the directory's group, and new directories also inherit
 *   its setgid bit.
 */
export class MetadataService {
  private readonly shares = new Map<string, ShareState>();
  /** Who hears of names added, removed and renamed (SMB CHANGE_NOTIFY), whichever protocol made the change. */
  private readonly nameWatchers = new Set<(change: NameChange) => void>();
  /** Who hears of attribute changes; empty most of the time, so that WRITE pays nothing for them. */
  private readonly attrWatchers = new Set<(change: AttrChange) => void>();
  /**
   * While someone watches attributes: where each node was last looked up, created or moved to,
   * by share and id, so that an NFS SETATTR or WRITE (which names a node by id) can be reported
   * under its name. Bounded; oldest first out.
   */
  private readonly nameHints = new Map<string, NodeName>();
  /** Serializes read-modify-write sequences per file id, so that wcc data and sizes stay exact. */
  private readonly mutex = new KeyedMutex();
  /**
   * One order per file across content and metadata: WRITEs share it (each lands its bytes, then
   * grows the size: those commute), while a size change or the release of the content takes it
   * alone. Taken before `mutex`, never while holding it.
   */
  private readonly fileOrder = new KeyedRwLock();

  constructor(
    private readonly logger: Logger,
    private readonly content: ContentCoordinator = NO_CONTENT,
  ) {}

  /** Binds a share to its store, creating the share's root the first time; returns the root. */
  async registerShare(binding: ShareBinding): Promise<FileAttr> {
    if (this.shares.has(binding.name)) throw fsError("Exists", `share ${binding.name} is already registered`);
    const now = timespecNow();
    const root = await binding.store.getOrCreateRoot(binding.name, {
      type: "dir",
      mode: binding.rootMode & 0o7777,
      uid: binding.rootUid,
      gid: binding.rootGid,
      size: DIR_SIZE,
      atime: now,
      mtime: now,
      ctime: now,
      contentId: null,
      rdev: { major: 0, minor: 0 },
    });
    this.shares.set(binding.name, {
      name: binding.name,
      store: binding.store,
      readOnly: binding.readOnly,
      localNames: binding.localNames && !binding.localNames.empty ? binding.localNames : null,
      rootId: root.id,
      locks: new LockManager(),
    });
    this.logger.debug({ share: binding.name, store: binding.store.kind, root: root.id }, "metadata share registered");
    return root;
  }

  /** Forgets a share (its store stays open: the registry owns stores, which shares may share). */
  unregisterShare(share: string): void {
    this.shares.delete(share);
  }

  /** Calls `listener` after each name added, removed or renamed in any share; returns the way to stop. */
  watchNames(listener: (change: NameChange) => void): () => void {
    this.nameWatchers.add(listener);
    return () => this.nameWatchers.delete(listener);
  }

  /**
   * Calls `listener` after each change of attributes (size, mode, owner, times) in any share;
   * returns the way to stop. While nobody listens, changes cost nothing extra.
   */
  watchAttrs(listener: (change: AttrChange) => void): () => void {
    this.attrWatchers.add(listener);
    return () => {
      this.attrWatchers.delete(listener);
      if (this.attrWatchers.size === 0) this.nameHints.clear();
    };
  }

  /**
   * A name of the node and its directory, if one is known: the last one the service saw it under
   * while attributes were watched, or, for a directory, the entry of its parent that holds it
   * (read from the store). Null for the root and for files not seen lately.
   */
  async nameOf(share: string, id: FileId): Promise<NodeName | null> {
    const s = this.share(share);
    const hint = this.nameHints.get(hintKey(s.name, id));
    if (hint) return hint;
    if (id === s.rootId) return null;
    const node = await findNode(s.store, id);
    if (node?.type !== "dir") return null;
    const parent = await s.store.parentOf(id);
    for (let after = 0; ; ) {
      const page = await s.store.readDir(parent.id, after, NAME_SCAN_PAGE);
      const entry = page.entries.find((e) => e.attr.id === id);
      if (entry) {
        const found = { dirId: parent.id, name: entry.name };
        this.remember(s, id, found.dirId, found.name);
        return found;
      }
      if (page.eof || page.entries.length === 0) return null;
      after = page.entries.at(-1)!.cookie;
    }
  }

  /** Remembers where a node's name is, while someone watches attributes. */
  private remember(s: ShareState, id: FileId, dirId: FileId, name: string): void {
    if (this.attrWatchers.size === 0) return;
    const key = hintKey(s.name, id);
    this.nameHints.delete(key);
    this.nameHints.set(key, { dirId, name });
    if (this.nameHints.size > MAX_NAME_HINTS) this.nameHints.delete(this.nameHints.keys().next().value!);
  }

  private attrChanged(s: ShareState, id: FileId, kinds: AttrChangeKind[]): void {
    if (this.attrWatchers.size === 0 || kinds.length === 0) return;
    const change: AttrChange = { share: s.name, id, kinds };
    for (const listener of this.attrWatchers) {
      try {
        listener(change);
      } catch (err) {
        this.logger.error({ err }, "an attribute change listener failed");
      }
    }
  }

  private nameChanged(change: NameChange): void {
    const s = this.shares.get(change.share);
    if (s) {
      if (change.action === "added" || change.action === "renamed-to") this.remember(s, change.id, change.dirId, change.name);
      else {
        const hint = this.nameHints.get(hintKey(s.name, change.id));
        if (hint?.dirId === change.dirId && hint.name === change.name) this.nameHints.delete(hintKey(s.name, change.id));
      }
    }
    for (const listener of this.nameWatchers) {
      try {
        listener(change);
      } catch (err) {
        this.logger.error({ err }, "a name change listener failed");
      }
    }
  }

  locks(share: string): LockManager {
    return this.share(share).locks;
  }

  async root(share: string): Promise<FileAttr> {
    const s = this.share(share);
    return this.node(s, s.rootId);
  }

  /**
   * Lists a directory (default: the root) of a share that mirrors a remote namespace again now.
   * False when the share's tree is its own (nothing to refresh); FsError("Io") when the remote
   * side cannot be listed.
   */
  async refreshListing(share: string, dirId?: FileId): Promise<boolean> {
    const s = this.share(share);
    if (!s.store.refresh) return false;
    const dir = await this.node(s, dirId ?? s.rootId);
    requireDir(dir);
    await s.store.refresh(dir.id);
    return true;
  }

  async getAttr(share: string, id: FileId): Promise<FileAttr> {
    return this.node(this.share(share), id);
  }

  /** The node `name` holds in the directory; NameNotFound (with the directory) when it is free. */
  async lookup(ctx: AuthContext, share: string, dirId: FileId, name: string): Promise<{ attr: FileAttr; dir: FileAttr }> {
    const s = this.share(share);
    checkLookupName(name);
    if (name === "." || name === "..") {
      const dir = await this.node(s, dirId);
      requireDir(dir);
      requirePerm(ctx, dir, PERM_EXEC, "search");
      return { attr: name === "." ? dir : await s.store.parentOf(dirId), dir };
    }
    // The directory and the entry come in one read; the entry is shown only once the directory passed.
    const { dir, entry } = await staleIfMissing(s.store.lookupIn(dirId, name), dirId);
    this.inShare(s, dir);
    requireDir(dir);
    requirePerm(ctx, dir, PERM_EXEC, "search");
    if (!entry) throw new NameNotFound(dir, `no entry '${name}' in directory ${dirId}`);
    this.remember(s, entry.id, dirId, name);
    return { attr: entry, dir };
  }

  /** The ACCESS bits among `requested` that `ctx` holds on the file (RFC 1813 §3.3.4). */
  async access(ctx: AuthContext, share: string, id: FileId, requested: number): Promise<{ granted: number; attr: FileAttr }> {
    const s = this.share(share);
    const attr = await this.node(s, id);
    const may = (bits: number) => permits(ctx, attr, bits);
    let granted = 0;
    if (may(PERM_READ)) granted |= ACCESS_READ;
    if (attr.type === "dir") {
      if (may(PERM_EXEC)) granted |= ACCESS_LOOKUP;
      if (!s.readOnly && may(PERM_WRITE | PERM_EXEC)) granted |= ACCESS_MODIFY | ACCESS_EXTEND | ACCESS_DELETE;
    } else {
      if (may(PERM_EXEC)) granted |= ACCESS_EXECUTE;
      if (!s.readOnly && may(PERM_WRITE)) granted |= ACCESS_MODIFY | ACCESS_EXTEND;
    }
    return { granted: granted & requested, attr };
  }

  /**
   * Changes attributes as permitted: mode and group by the owner or root, owner by root only,
   * size with write permission, times set to "now" with write permission, explicit times (also
   * creation and change time) and DOS attributes by the owner or root. Fails with NotSync when `guardCtime` no longer matches (RFC 1813 §3.3.2).
   * A new size reaches the content before this resolves, in order with the file's WRITEs.
   */
  async setAttr(
    ctx: AuthContext,
    share: string,
    id: FileId,
    req: SetAttrRequest,
    guardCtime: Timespec | null,
  ): Promise<{ wcc: Wcc; attr: FileAttr }> {
    const s = this.writableShare(share);
    if (req.size === undefined) return this.changeAttrs(ctx, s, id, req, guardCtime);
    const size = req.size;
    return this.fileOrder.exclusive(id, async () => {
      const changed = await this.changeAttrs(ctx, s, id, req, guardCtime);
      if (changed.attr.contentId !== null) await this.content.resize(s.name, changed.attr.contentId, size);
      return changed;
    });
  }

  private changeAttrs(
    ctx: AuthContext,
    s: ShareState,
    id: FileId,
    req: SetAttrRequest,
    guardCtime: Timespec | null,
  ): Promise<{ wcc: Wcc; attr: FileAttr }> {
    return this.mutex.run([id], async () => {
      const attr = await this.node(s, id);
      if (guardCtime && (guardCtime.sec !== attr.ctime.sec || guardCtime.nsec !== attr.ctime.nsec)) {
        throw fsError("NotSync", `ctime of ${id} does not match the guard`);
      }
      const changes = planSetAttr(ctx, attr, req, timespecNow());
      const after = changes ? await s.store.setAttr(id, changes) : attr;
      if (changes) this.attrChanged(s, id, kindsOf(changes));
      return { wcc: { before: wccOf(attr), after }, attr: after };
    });
  }

  /** Creates a regular file (or, per `how`, reuses one); a size in the attributes reaches its content too. */
  async create(
    ctx: AuthContext,
    share: string,
    dirId: FileId,
    name: string,
    how: CreateHow,
  ): Promise<{ attr: FileAttr; dirWcc: Wcc }> {
    const s = this.writableShare(share);
    checkNewName(name);
    if (how.mode === "exclusive" && how.verifier.length !== 8) throw fsError("Invalid", "create verifier must be 8 bytes");
    const build = (dir: FileAttr, now: Timespec): NewNode =>
      how.mode === "exclusive"
        ? { ...newNodeFor(ctx, dir, "file", {}, now), ...verifierTimes(how.verifier) }
        : newNodeFor(ctx, dir, "file", how.attrs, now);
    // A name that goes again between the failed create and its lookup sends us round again.
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.createOrFind(ctx, s, dirId, name, build);
      if ("made" in outcome) {
        const size = how.mode === "exclusive" ? undefined : how.attrs.size;
        const { id, contentId } = outcome.made.attr;
        if (size !== undefined && contentId !== null) await this.fileOrder.exclusive(id, () => this.content.resize(s.name, contentId, size));
        return outcome.made;
      }
      if (outcome.existing) return this.createExisting(ctx, s, outcome.dir, outcome.existing, how);
      if (attempt >= 2) throw fsError("Exists", `'${name}' keeps appearing and going in directory ${dirId}`);
    }
  }

  /**
   * One try of a CREATE under the directory's lock. The create comes first (a free name is the
   * common case); only when it is refused is the name looked up, as CREATE of an existing name
   * needs search permission alone (as in Linux knfsd) and ignores attributes a new file could
   * not have. `existing` null: the name went again meanwhile.
   */
  private createOrFind(
    ctx: AuthContext,
    s: ShareState,
    dirId: FileId,
    name: string,
    build: (dir: FileAttr, now: Timespec) => NewNode,
  ): Promise<{ made: { attr: FileAttr; dirWcc: Wcc } } | { dir: FileAttr; existing: FileAttr | null }> {
    return this.mutex.run([dirId], async () => {
      const dir = await this.node(s, dirId);
      requireDir(dir);
      requirePerm(ctx, dir, PERM_EXEC, "search");
      let refusal: FsError = fsError("Access", `permission denied to change ${dir.id}`);
      if (permits(ctx, dir, PERM_WRITE | PERM_EXEC)) {
        try {
          return { made: await this.createNode(s, dir, name, build) };
        } catch (err) {
          // Exists: the name is taken; Perm: attributes `ctx` may not give a new file.
          if (!isFsError(err, "Exists") && !isFsError(err, "Perm")) throw err;
          refusal = err;
        }
      }
      const existing = await findEntry(s.store, dirId, name);
      if (!existing && refusal.code !== "Exists") throw refusal;
      return { dir, existing };
    });
  }

  async mkdir(
    ctx: AuthContext,
    share: string,
    dirId: FileId,
    name: string,
    attrs: SetAttrRequest,
  ): Promise<{ attr: FileAttr; dirWcc: Wcc }> {
    const s = this.writableShare(share);
    checkNewName(name);
    return this.createIn(ctx, s, dirId, name, (dir, now) => newNodeFor(ctx, dir, "dir", attrs, now));
  }

  async symlink(
    ctx: AuthContext,
    share: string,
    dirId: FileId,
    name: string,
    target: string,
    attrs: SetAttrRequest,
  ): Promise<{ attr: FileAttr; dirWcc: Wcc }> {
    const s = this.writableShare(share);
    checkNewName(name);
    if (target === "" || target.includes("\0")) throw fsError("Invalid", "symbolic link target is empty or contains NUL");
    const targetBytes = Buffer.byteLength(target, "utf8");
    if (targetBytes > MAX_SYMLINK_BYTES) throw fsError("NameTooLong", `symbolic link target of ${targetBytes} bytes`);
    return this.createIn(ctx, s, dirId, name, (dir, now) => ({
      ...newNodeFor(ctx, dir, "symlink", attrs, now),
      size: targetBytes,
      symlinkTarget: target,
    }));
  }

  async mknod(
    ctx: AuthContext,
    share: string,
    dirId: FileId,
    name: string,
    type: Exclude<FileType, "file" | "dir" | "symlink">,
    attrs: SetAttrRequest,
    rdev: DeviceNumber,
  ): Promise<{ attr: FileAttr; dirWcc: Wcc }> {
    const s = this.writableShare(share);
    checkNewName(name);
    const isDevice = type === "block" || type === "char";
    if (!isDevice && type !== "socket" && type !== "fifo") throw fsError("Invalid", `cannot mknod a ${String(type)}`);
    if (isDevice && ctx.uid !== 0) throw fsError("Perm", "only root may create device nodes");
    return this.createIn(ctx, s, dirId, name, (dir, now) => ({
      ...newNodeFor(ctx, dir, type, attrs, now),
      rdev: isDevice ? { major: rdev.major, minor: rdev.minor } : { major: 0, minor: 0 },
    }));
  }

  /** Removes a non-directory name; the content goes with the file's last name. */
  async remove(ctx: AuthContext, share: string, dirId: FileId, name: string): Promise<{ removed: Unlinked; dirWcc: Wcc }> {
    const s = this.writableShare(share);
    checkExistingName(name, "Invalid", "Invalid");
    const result = await this.mutex.run([dirId], async () => {
      const dir = await this.changeableDir(ctx, s, dirId);
      if (stickyBinds(ctx, dir)) {
        const victim = await s.store.lookup(dirId, name);
        if (victim.type === "dir") throw fsError("IsDir", `'${name}' is a directory`);
        checkSticky(ctx, dir, victim);
      }
      // The store refuses (IsDir) a directory: no lookup of the victim first.
      const { dir: after, ...removed } = await s.store.unlink(dirId, name, timespecNow(), "nonDir");
      if (removed.node.nlink === 0) s.locks.releaseFile(removed.node.id);
      this.nameChanged({ share: s.name, dirId, name, action: "removed", id: removed.node.id, isDir: false });
      return { removed, dirWcc: { before: wccOf(dir), after } };
    });
    await this.releaseIfGone(s, result.removed);
    return result;
  }

  async rmdir(ctx: AuthContext, share: string, dirId: FileId, name: string): Promise<{ dirWcc: Wcc }> {
    const s = this.writableShare(share);
    checkExistingName(name, "Invalid", "NotEmpty");
    return this.mutex.run([dirId], async () => {
      const dir = await this.changeableDir(ctx, s, dirId);
      if (stickyBinds(ctx, dir)) {
        const victim = await s.store.lookup(dirId, name);
        if (victim.type !== "dir") throw fsError("NotDir", `'${name}' is not a directory`);
        checkSticky(ctx, dir, victim);
      }
      // The store refuses (NotDir) anything but a directory: no lookup of the victim first.
      const { dir: after, node } = await s.store.unlink(dirId, name, timespecNow(), "dir");
      this.nameChanged({ share: s.name, dirId, name, action: "removed", id: node.id, isDir: true });
      return { dirWcc: { before: wccOf(dir), after } };
    });
  }

  /**
   * Moves a name, replacing what the target name held (returned as `replaced`; its content goes
   * with its last name). Renaming one of a file's names onto another is a no-op.
   */
  async rename(
    ctx: AuthContext,
    share: string,
    fromDir: FileId,
    fromName: string,
    toDir: FileId,
    toName: string,
  ): Promise<{ fromWcc: Wcc; toWcc: Wcc; replaced: Unlinked | null }> {
    const s = this.writableShare(share);
    checkExistingName(fromName, "Invalid", "Invalid");
    checkExistingName(toName, "Invalid", "Invalid");
    const place = this.placeAfterRename(s, fromName, toName);
    // The file's bytes move (to or from the remote store) with the rename: no WRITE of it may run
    // meanwhile, and its order is taken before the directories' locks.
    const file = place === null ? null : await findEntry(s.store, fromDir, fromName);
    if (place === null || file?.type !== "file") return this.renameLocked(ctx, s, fromDir, fromName, toDir, toName, null);
    return this.fileOrder.exclusive(file.id, () => this.renameLocked(ctx, s, fromDir, fromName, toDir, toName, { id: file.id, where: place }));
  }

  /** Where a file's content goes when it is renamed from `fromName` to `toName`; null: it stays. */
  private placeAfterRename(s: ShareState, fromName: string, toName: string): ContentPlace | null {
    if (!s.localNames) return null;
    const wasLocal = s.localNames.matches(fromName);
    if (wasLocal === s.localNames.matches(toName)) return null;
    return wasLocal ? "remote" : "local";
  }

  private async renameLocked(
    ctx: AuthContext,
    s: ShareState,
    fromDir: FileId,
    fromName: string,
    toDir: FileId,
    toName: string,
    placing: { id: FileId; where: ContentPlace } | null,
  ): Promise<{ fromWcc: Wcc; toWcc: Wcc; replaced: Unlinked | null }> {
    const result = await this.mutex.run([fromDir, toDir], async () => {
      const from = await this.changeableDir(ctx, s, fromDir);
      const to = fromDir === toDir ? from : await this.changeableDir(ctx, s, toDir);
      const moved = await s.store.lookup(fromDir, fromName);
      const target = await findEntry(s.store, toDir, toName);
      const unchanged = () => ({ fromWcc: sameWcc(from), toWcc: sameWcc(to), replaced: null });
      if (target?.id === moved.id) return unchanged();
      // Another file took the name before the locks were taken (a race with another rename).
      if (placing && placing.id !== moved.id && moved.type === "file") throw fsError("TryLater", `'${fromName}' changed while it was being renamed`);
      // A file with other names (hard links) keeps its place; directories have no content.
      const place = placing?.id === moved.id && moved.nlink === 1 && moved.contentId !== null ? placing.where : null;

      checkSticky(ctx, from, moved);
      // Moving a directory rewrites its "..", which needs write permission on it (as in Linux).
      if (moved.type === "dir" && fromDir !== toDir) requirePerm(ctx, moved, PERM_WRITE, "move");
      if (target) {
        if (moved.type === "dir" && target.type !== "dir") throw fsError("NotDir", `'${toName}' is not a directory`);
        if (moved.type !== "dir" && target.type === "dir") throw fsError("IsDir", `'${toName}' is a directory`);
        checkSticky(ctx, to, target);
      }
      // Before the store moves the name: a bucket-layout store must not move the object to a litter name.
      if (place === "local") await this.content.place(s.name, moved.contentId!, "local");
      let renamed: { replaced: Unlinked | null };
      try {
        // The store refuses (Invalid) to move a directory into its own subtree, atomically.
        renamed = await s.store.rename(fromDir, fromName, toDir, toName, timespecNow());
      } catch (err) {
        // The file keeps its ordinary name: back to the remote store with it.
        if (place === "local") await this.uploadRenamed(s, moved.contentId!);
        throw err;
      }
      const { replaced } = renamed;
      if (place === "remote") await this.uploadRenamed(s, moved.contentId!);
      if (replaced && replaced.node.nlink === 0) s.locks.releaseFile(replaced.node.id);
      const moves = { id: moved.id, isDir: moved.type === "dir", renamed: true };
      const within = fromDir === toDir;
      this.nameChanged({ share: s.name, dirId: fromDir, name: fromName, action: within ? "renamed-from" : "removed", ...moves });
      this.nameChanged({ share: s.name, dirId: toDir, name: toName, action: within ? "renamed-to" : "added", ...moves });
      const fromWcc = await this.dirWcc(s, from);
      const toWcc = fromDir === toDir ? fromWcc : await this.dirWcc(s, to);
      return { fromWcc, toWcc, replaced };
    });
    await this.releaseIfGone(s, result.replaced);
    return result;
  }

  /**
   * A file that no longer has a litter name goes to the remote store. Its name stands either way:
   * if its bytes cannot be moved now, they stay on this computer, whole, and the log says so.
   */
  private async uploadRenamed(s: ShareState, contentId: string): Promise<void> {
    try {
      await this.content.place(s.name, contentId, "remote");
    } catch (err) {
      this.logger.warn({ err, share: s.name, contentId }, "a file without a litter name stays on this computer: its bytes could not be moved to the remote store");
    }
  }

  /**
   * Releases the content of a file whose last name went, once no WRITE of it is running (a WRITE
   * that started before the name went must not leave its bytes behind).
   */
  private async releaseIfGone(s: ShareState, unlinked: Unlinked | null): Promise<void> {
    const node = unlinked?.node;
    if (!node || node.nlink !== 0 || node.contentId === null) return;
    const contentId = node.contentId;
    await this.fileOrder.exclusive(node.id, () => this.content.release(s.name, contentId));
  }

  async link(ctx: AuthContext, share: string, fileId: FileId, dirId: FileId, name: string): Promise<{ attr: FileAttr; dirWcc: Wcc }> {
    const s = this.writableShare(share);
    checkNewName(name);
    return this.mutex.run([dirId, fileId], async () => {
      const file = await this.node(s, fileId);
      if (file.type === "dir") throw fsError("IsDir", "cannot hard-link a directory");
      const dir = await this.changeableDir(ctx, s, dirId);
      if (file.nlink >= MAX_LINKS) throw fsError("MLink", `file ${fileId} already has ${file.nlink} names`);
      const attr = await staleIfMissing(s.store.link(dirId, name, fileId, timespecNow()), fileId);
      this.nameChanged({ share: s.name, dirId, name, action: "added", id: fileId, isDir: false });
      return { attr, dirWcc: await this.dirWcc(s, dir) };
    });
  }

  async readDir(
    ctx: AuthContext,
    share: string,
    dirId: FileId,
    afterCookie: number,
    limit: number,
  ): Promise<{ dir: FileAttr; page: DirPage }> {
    const s = this.share(share);
    const dir = await this.node(s, dirId);
    requireDir(dir);
    requirePerm(ctx, dir, PERM_READ, "list");
    return { dir, page: await s.store.readDir(dirId, afterCookie, limit) };
  }

  async readLink(_ctx: AuthContext, share: string, id: FileId): Promise<{ target: string; attr: FileAttr }> {
    const s = this.share(share);
    const attr = await this.node(s, id);
    if (attr.type !== "symlink") throw fsError("Invalid", `${id} is not a symbolic link`);
    return { target: await s.store.readLink(id), attr };
  }

  /** The file's attributes if `ctx` may read its data. */
  private async readableFile(ctx: AuthContext, s: ShareState, id: FileId): Promise<FileAttr> {
    const attr = await this.node(s, id);
    requireRegular(attr);
    if (ctx.uid !== attr.uid && !permits(ctx, attr, PERM_READ) && !permits(ctx, attr, PERM_EXEC)) {
      throw fsError("Access", `no read permission on ${id}`);
    }
    return attr;
  }

  /**
   * A READ: checks that `ctx` may read the file, then runs `body` with its attributes while no
   * truncation or removal of it can run, so the size it read and the content agree (a size that
   * shrank in between would otherwise read as zeros up to the old size).
   */
  async read<T>(ctx: AuthContext, share: string, id: FileId, body: (file: FileAttr) => Promise<T>): Promise<T> {
    const s = this.share(share);
    return this.fileOrder.shared(id, async () => body(await this.readableFile(ctx, s, id)));
  }

  /** The file's attributes if `ctx` may write its data. */
  async checkWrite(ctx: AuthContext, share: string, id: FileId): Promise<FileAttr> {
    return this.writableFile(ctx, this.writableShare(share), id);
  }

  private async writableFile(ctx: AuthContext, s: ShareState, id: FileId): Promise<FileAttr> {
    const attr = await this.node(s, id);
    requireRegular(attr);
    if (ctx.uid !== attr.uid && !permits(ctx, attr, PERM_WRITE)) throw fsError("Access", `no write permission on ${id}`);
    if (attr.contentId === null) throw fsError("Io", `regular file ${id} has no content id`);
    return attr;
  }

  /**
   * A WRITE of bytes ending at `end`: checks that `ctx` may write the file, lets `land` put the
   * bytes in its content, then grows the size to cover them, sets mtime and ctime to now and the
   * DOS archive bit. A
   * size change or the removal of the file waits for it, and it for them, so size and content
   * agree whatever the interleaving; a WRITE of a file removed meanwhile is Stale.
   */
  async write(
    ctx: AuthContext,
    share: string,
    id: FileId,
    end: number,
    land: (file: FileAttr) => Promise<void>,
  ): Promise<{ wcc: Wcc; attr: FileAttr }> {
    const s = this.writableShare(share);
    return this.fileOrder.shared(id, async () => {
      await land(await this.writableFile(ctx, s, id));
      return this.mutex.run([id], async () => {
        const attr = await this.node(s, id);
        const now = timespecNow();
        const changes: AttrChanges = { size: Math.max(attr.size, end), mtime: now, ctime: now };
        // A write marks the file changed since its last backup, as Windows does (same store call).
        if ((attr.dosAttributes & DOS_ARCHIVE) === 0) changes.dosAttributes = attr.dosAttributes | DOS_ARCHIVE;
        const after = s.store.wrote ? await s.store.wrote(id, changes) : await s.store.setAttr(id, changes);
        this.attrChanged(s, id, end > attr.size ? ["size", "mtime"] : ["mtime"]);
        return { wcc: { before: wccOf(attr), after }, attr: after };
      });
    });
  }

  /** Makes every metadata change of the share's store reported so far durable (see MetadataStore.sync). */
  async sync(share: string): Promise<void> {
    await this.share(share).store.sync();
  }

  /** What kinds of node the share's store can hold (FSINFO, PATHCONF). */
  capabilities(share: string): Readonly<StoreCapabilities> {
    return this.share(share).store.capabilities ?? FULL_CAPABILITIES;
  }

  /**
   * The parent of a directory `ctx` may list, for a listing's ".." entry: reading a directory
   * needs read permission on it, not search permission (which a lookup of ".." would ask).
   */
  async listingParent(ctx: AuthContext, share: string, dirId: FileId): Promise<FileAttr> {
    const s = this.share(share);
    const dir = await this.node(s, dirId);
    requireDir(dir);
    requirePerm(ctx, dir, PERM_READ, "list");
    return s.store.parentOf(dirId);
  }

  async usage(share: string): Promise<StoreUsage> {
    return this.share(share).store.usage();
  }

  private share(name: string): ShareState {
    const s = this.shares.get(name);
    if (!s) throw fsError("Stale", `unknown share ${name}`);
    return s;
  }

  private writableShare(name: string): ShareState {
    const s = this.share(name);
    if (s.readOnly) throw fsError("ReadOnly", `share ${name} is read-only`);
    return s;
  }

  /**
   * A node named by a file handle: gone means the handle is stale, and so does a node of another
   * share's tree (shares may share a store; a handle reaches only its own share).
   */
  private async node(s: ShareState, id: FileId): Promise<FileAttr> {
    return this.inShare(s, await staleIfMissing(s.store.get(id), id));
  }

  /** The node if it is in the share's tree; Stale otherwise (see node()). */
  private inShare(s: ShareState, attr: FileAttr): FileAttr {
    if (attr.shareRoot !== s.rootId) throw fsError("Stale", `file ${attr.id} is not in share ${s.name}`);
    return attr;
  }

  /** A directory whose entries `ctx` may change (write and search permission). */
  private async changeableDir(ctx: AuthContext, s: ShareState, dirId: FileId): Promise<FileAttr> {
    const dir = await this.node(s, dirId);
    requireDir(dir);
    requirePerm(ctx, dir, PERM_WRITE | PERM_EXEC, "change");
    return dir;
  }

  private async dirWcc(s: ShareState, before: FileAttr): Promise<Wcc> {
    return { before: wccOf(before), after: await this.node(s, before.id) };
  }

  /** Creates a node under the directory's lock, with wcc data for the directory. */
  private async createIn(
    ctx: AuthContext,
    s: ShareState,
    dirId: FileId,
    name: string,
    build: (dir: FileAttr, now: Timespec) => NewNode,
  ): Promise<{ attr: FileAttr; dirWcc: Wcc }> {
    return this.mutex.run([dirId], async () => this.createNode(s, await this.changeableDir(ctx, s, dirId), name, build));
  }

  /** Creates a node in `dir` (checked, and locked, by the caller), with wcc data for the directory. */
  private async createNode(
    s: ShareState,
    dir: FileAttr,
    name: string,
    build: (dir: FileAttr, now: Timespec) => NewNode,
  ): Promise<{ attr: FileAttr; dirWcc: Wcc }> {
    const now = timespecNow();
    const node = build(dir, now);
    // Placed before the store sees the file: a bucket-layout store must not queue its object.
    const local = node.type === "file" && node.contentId !== null && s.localNames?.matches(name) === true;
    if (local) await this.content.place(s.name, node.contentId!, "local", true);
    let created: Created;
    try {
      created = await staleIfMissing(s.store.create(dir.id, name, node, now), dir.id);
    } catch (err) {
      if (local) await this.content.release(s.name, node.contentId!);
      throw err;
    }
    const { attr, dir: after } = created;
    this.nameChanged({ share: s.name, dirId: dir.id, name, action: "added", id: attr.id, isDir: attr.type === "dir" });
    return { attr, dirWcc: { before: wccOf(dir), after } };
  }

  /** CREATE of a name that exists (RFC 1813 §3.3.8), as Linux knfsd answers it. */
  private async createExisting(
    ctx: AuthContext,
    s: ShareState,
    dir: FileAttr,
    existing: FileAttr,
    how: CreateHow,
  ): Promise<{ attr: FileAttr; dirWcc: Wcc }> {
    const exists = () => fsError("Exists", `'${existing.id}' already exists`);
    const dirWcc = sameWcc(dir);
    if (how.mode === "guarded" || existing.type !== "file") throw exists();
    if (how.mode === "exclusive") {
      // A retransmitted exclusive create finds the verifier it stored in atime/mtime.
      const v = verifierTimes(how.verifier);
      if (existing.mtime.sec !== v.mtime.sec || existing.atime.sec !== v.atime.sec) throw exists();
      return { attr: existing, dirWcc };
    }
    if (how.attrs.size === undefined) return { attr: existing, dirWcc };
    const size = how.attrs.size;
    const attr = await this.fileOrder.exclusive(existing.id, async () => {
      const resized = await this.mutex.run([existing.id], async () => {
        const current = await this.node(s, existing.id);
        const changes = planSetAttr(ctx, current, { size }, timespecNow());
        if (!changes) return current;
        const after = await s.store.setAttr(current.id, changes);
        this.attrChanged(s, current.id, kindsOf(changes));
        return after;
      });
      if (resized.contentId !== null) await this.content.resize(s.name, resized.contentId, size);
      return resized;
    });
    return { attr, dirWcc };
  }
}

/** Whether `ctx` holds every one of the rwx `bits` on the node (owner, then group, then other). */
function permits(ctx: AuthContext, attr: FileAttr, bits: number): boolean {
  if (ctx.uid === 0) {
    if ((bits & PERM_EXEC) === 0 || attr.type === "dir") return true;
    return (attr.mode & ANY_EXEC) !== 0;
  }
  let granted: number;
  if (ctx.uid === attr.uid) granted = (attr.mode >> 6) & 7;
  else if (inGroup(ctx, attr.gid)) granted = (attr.mode >> 3) & 7;
  else granted = attr.mode & 7;
  return (granted & bits) === bits;
}

function requirePerm(ctx: AuthContext, attr: FileAttr, bits: number, what: string): void {
  if (!permits(ctx, attr, bits)) throw fsError("Access", `permission denied to ${what} ${attr.id}`);
}

function inGroup(ctx: AuthContext, gid: number): boolean {
  return ctx.gid === gid || ctx.gids.includes(gid);
}

/** Whether the directory's sticky bit limits what `ctx` may remove or rename in it (see checkSticky). */
function stickyBinds(ctx: AuthContext, dir: FileAttr): boolean {
  return (dir.mode & S_ISVTX) !== 0 && ctx.uid !== 0 && ctx.uid !== dir.uid;
}

/** In a sticky directory only the file's owner, the directory's owner or root may remove or rename. */
function checkSticky(ctx: AuthContext, dir: FileAttr, victim: FileAttr): void {
  if (!stickyBinds(ctx, dir) || ctx.uid === victim.uid) return;
  throw fsError("Perm", `sticky directory ${dir.id}: only the owner may remove or rename ${victim.id}`);
}

function requireDir(attr: FileAttr): void {
  if (attr.type !== "dir") throw fsError("NotDir", `${attr.id} is not a directory`);
}

function requireRegular(attr: FileAttr): void {
  if (attr.type === "dir") throw fsError("IsDir", `${attr.id} is a directory`);
  if (attr.type !== "file") throw fsError("Invalid", `${attr.id} is not a regular file`);
}

/** Rejects names no entry can have, and names longer than NAME_MAX. */
function checkNameShape(name: string, malformed: FsErrorCode): void {
  if (name === "" || name.includes("/") || name.includes("\0")) {
    throw fsError(malformed, `invalid name ${JSON.stringify(name)}`);
  }
  if (name.length > MAX_NAME_BYTES / 3 && Buffer.byteLength(name, "utf8") > MAX_NAME_BYTES) {
    throw fsError("NameTooLong", `name of ${Buffer.byteLength(name, "utf8")} bytes`);
  }
}

function checkLookupName(name: string): void {
  checkNameShape(name, "NotFound");
}

/** A name about to be created: "." and ".." always exist. */
function checkNewName(name: string): void {
  checkNameShape(name, "Invalid");
  if (name === "." || name === "..") throw fsError("Exists", `'${name}' always exists`);
}

/** A name to remove or rename: "." and ".." are refused with the given codes. */
function checkExistingName(name: string, dot: FsErrorCode, dotdot: FsErrorCode): void {
  checkNameShape(name, "Invalid");
  if (name === ".") throw fsError(dot, `cannot use '.' here`);
  if (name === "..") throw fsError(dotdot, `cannot use '..' here`);
}

function hintKey(share: string, id: FileId): string {
  return `${share}\0${id}`;
}

/** The attribute changes a store change amounts to (ctime alone is none: it follows the others). */
function kindsOf(changes: AttrChanges): AttrChangeKind[] {
  const kinds: AttrChangeKind[] = [];
  if (changes.size !== undefined) kinds.push("size");
  if (changes.mode !== undefined) kinds.push("mode");
  if (changes.uid !== undefined || changes.gid !== undefined) kinds.push("owner");
  if (changes.atime !== undefined) kinds.push("atime");
  if (changes.mtime !== undefined) kinds.push("mtime");
  if (changes.dosAttributes !== undefined) kinds.push("dos");
  if (changes.birthtime !== undefined) kinds.push("birthtime");
  return kinds;
}

/** The node, or null when the id names nothing. */
async function findNode(store: MetadataStore, id: FileId): Promise<FileAttr | null> {
  try {
    return await store.get(id);
  } catch (err) {
    if (isFsError(err, "NotFound")) return null;
    throw err;
  }
}

/** The node a name holds, or null when the name is free. */
async function findEntry(store: MetadataStore, dirId: FileId, name: string): Promise<FileAttr | null> {
  try {
    return await store.lookup(dirId, name);
  } catch (err) {
    if (isFsError(err, "NotFound")) return null;
    throw err;
  }
}

async function staleIfMissing<T>(pending: Promise<T>, id: FileId): Promise<T> {
  try {
    return await pending;
  } catch (err) {
    if (isFsError(err, "NotFound")) throw fsError("Stale", `file ${id} no longer exists`, err);
    throw err;
  }
}

/** Wcc data for a directory that did not change. */
function sameWcc(dir: FileAttr): Wcc {
  return { before: wccOf(dir), after: dir };
}

/**
 * Linux knfsd keeps an exclusive create's verifier in the new file's mtime and atime seconds
 * (31 bits each, so the times stay positive); the client overwrites them with a SETATTR.
 */
function verifierTimes(verifier: Buffer): { mtime: Timespec; atime: Timespec } {
  return {
    mtime: { sec: verifier.readUInt32BE(0) & 0x7fffffff, nsec: 0 },
    atime: { sec: verifier.readUInt32BE(4) & 0x7fffffff, nsec: 0 },
  };
}

function resolveTime(t: Timespec | "now" | undefined, now: Timespec): Timespec | undefined {
  return t === "now" ? now : t;
}

/** A new node as `ctx` creates it in `dir`, from the attributes the client sent. */
function newNodeFor(ctx: AuthContext, dir: FileAttr, type: FileType, attrs: SetAttrRequest, now: Timespec): NewNode {
  const isRoot = ctx.uid === 0;
  if (attrs.uid !== undefined && attrs.uid !== ctx.uid && !isRoot) throw fsError("Perm", "only root may give a new file to another owner");
  if (attrs.gid !== undefined && !isRoot && !inGroup(ctx, attrs.gid)) throw fsError("Perm", `not a member of group ${attrs.gid}`);
  const setgidDir = (dir.mode & S_ISGID) !== 0;
  const gid = attrs.gid ?? (setgidDir ? dir.gid : ctx.gid);
  let mode = (attrs.mode ?? defaultMode(type)) & 0o7777;
  if (type === "dir" && setgidDir) mode |= S_ISGID;
  else if ((mode & S_ISGID) !== 0 && !isRoot && !inGroup(ctx, gid)) mode &= ~S_ISGID;
  return {
    type,
    mode,
    uid: attrs.uid ?? ctx.uid,
    gid,
    size: type === "file" ? (attrs.size ?? 0) : type === "dir" ? DIR_SIZE : 0,
    atime: resolveTime(attrs.atime, now) ?? now,
    mtime: resolveTime(attrs.mtime, now) ?? now,
    ctime: now,
    birthtime: attrs.birthtime ?? now,
    dosAttributes: checkDosAttributes(attrs.dosAttributes ?? 0),
    contentId: type === "file" ? randomUUID().replaceAll("-", "") : null,
    rdev: { major: 0, minor: 0 },
  };
}

function defaultMode(type: FileType): number {
  if (type === "dir") return 0o755;
  if (type === "symlink") return 0o777;
  return 0o644;
}

/** The store changes a SETATTR amounts to, or null when it asks for nothing; throws when not permitted. */
function planSetAttr(ctx: AuthContext, attr: FileAttr, req: SetAttrRequest, now: Timespec): AttrChanges | null {
  const isRoot = ctx.uid === 0;
  const isOwner = ctx.uid === attr.uid;
  const changes: AttrChanges = {};
  let mode = attr.mode;
  let modeChanged = false;

  if (req.uid !== undefined || req.gid !== undefined) {
    if (!isRoot) {
      if (!isOwner) throw fsError("Perm", `only the owner or root may change the owner of ${attr.id}`);
      if (req.uid !== undefined && req.uid !== attr.uid) throw fsError("Perm", "only root may change a file's owner");
      if (req.gid !== undefined && req.gid !== attr.gid && !inGroup(ctx, req.gid)) {
        throw fsError("Perm", `not a member of group ${req.gid}`);
      }
    }
    if (req.uid !== undefined) changes.uid = req.uid;
    if (req.gid !== undefined) changes.gid = req.gid;
    if (attr.type !== "dir") {
      // A new owner must not inherit set-id powers (setgid without group execute marks mandatory locking: kept).
      mode &= ~S_ISUID;
      if ((mode & S_IXGRP) !== 0) mode &= ~S_ISGID;
      modeChanged = mode !== attr.mode;
    }
  }

  if (req.mode !== undefined) {
    if (!isRoot && !isOwner) throw fsError("Perm", `only the owner or root may change the mode of ${attr.id}`);
    mode = req.mode & 0o7777;
    if (!isRoot && !inGroup(ctx, changes.gid ?? attr.gid)) mode &= ~S_ISGID;
    if (attr.type !== "dir" && (req.uid !== undefined || req.gid !== undefined)) {
      mode &= ~S_ISUID;
      if ((mode & S_IXGRP) !== 0) mode &= ~S_ISGID;
    }
    modeChanged = true;
  }
  if (modeChanged) changes.mode = mode;

  if (req.size !== undefined) {
    requireRegular(attr);
    if (!Number.isSafeInteger(req.size) || req.size < 0) throw fsError("Invalid", `bad size ${req.size}`);
    if (!isOwner && !permits(ctx, attr, PERM_WRITE)) throw fsError("Access", `no write permission on ${attr.id}`);
    changes.size = req.size;
    if (req.size !== attr.size) changes.mtime = now;
  }

  for (const which of ["atime", "mtime"] as const) {
    const value = req[which];
    if (value === undefined) continue;
    if (value === "now") {
      if (!isOwner && !permits(ctx, attr, PERM_WRITE)) throw fsError("Access", `no permission to touch ${attr.id}`);
      changes[which] = now;
    } else {
      if (!isRoot && !isOwner) throw fsError("Perm", `only the owner or root may set times of ${attr.id}`);
      changes[which] = value;
    }
  }

  if (req.birthtime !== undefined || req.ctime !== undefined || req.dosAttributes !== undefined) {
    if (!isRoot && !isOwner) throw fsError("Perm", `only the owner or root may set the creation or change time or DOS attributes of ${attr.id}`);
    if (req.birthtime !== undefined) changes.birthtime = req.birthtime;
    if (req.dosAttributes !== undefined && req.dosAttributes !== attr.dosAttributes) {
      changes.dosAttributes = checkDosAttributes(req.dosAttributes);
    }
  }

  if (Object.keys(changes).length === 0 && req.ctime === undefined) return null;
  changes.ctime = req.ctime ?? now;
  return changes;
}

/** DOS attributes a node can keep: bits outside DOS_ATTRIBUTES_KEPT are Invalid. */
function checkDosAttributes(bits: number): number {
  if (!Number.isInteger(bits) || bits < 0 || (bits & ~DOS_ATTRIBUTES_KEPT) !== 0) throw fsError("Invalid", `DOS attributes 0x${bits.toString(16)}`);
  return bits;
}
