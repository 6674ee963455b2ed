import { fsError } from "../errors.js";
import type { AttrChanges, DirPage, FileAttr, FileId, FileType, NewNode, StoreUsage, Timespec, Unlinked } from "./types.js";

/** A node `create` made, and its directory as the change left it. */
export interface Created {
  attr: FileAttr;
  dir: FileAttr;
}

/** What `unlink` left of the node, and the directory as the change left it. */
export interface Removed extends Unlinked {
  dir: FileAttr;
}

/**
 * What kind of node `unlink` may remove: "nonDir" fails with IsDir when the name holds a
 * directory, "dir" with NotDir when it holds anything else; either way nothing changes.
 */
export type UnlinkOnly = "dir" | "nonDir";

/** Throws what `unlink(…, only)` answers for a name holding a node of type `type`. */
export function checkUnlinkable(type: FileType, only: UnlinkOnly | undefined, name: string): void {
  if (only === "nonDir" && type === "dir") throw fsError("IsDir", `'${name}' is a directory`);
  if (only === "dir" && type !== "dir") throw fsError("NotDir", `'${name}' is not a directory`);
}

/** One name to create in a directory, with its node (see MetadataStore.createMany). */
export interface NewEntry {
  name: string;
  node: NewNode;
}

/**
 * The metadata store: CRUD over nodes and directory entries, nothing else. Permission checks,
 * rename rules and protocol semantics live in the MetadataService. One store may hold the trees
 * of several shares; each share has its own root.
 *
 * Every method is atomic. Methods that change a directory take `now` and set that directory's
 * mtime and ctime to it in the same transaction. Errors are FsError: NotFound for a missing id
 * or name, Exists for a taken name, NotDir when a directory id names something else, NotEmpty
 * when removing or replacing a non-empty directory.
 */
/** What kinds of node a store can hold beyond files and directories. */
export interface StoreCapabilities {
  hardLinks: boolean;
  symlinks: boolean;
  /** Device nodes, sockets and FIFOs. */
  specialFiles: boolean;
}

export const FULL_CAPABILITIES: Readonly<StoreCapabilities> = { hardLinks: true, symlinks: true, specialFiles: true };

export interface MetadataStore {
  /** "memory", "sqlite", "postgres": for logs and status. */
  readonly kind: string;

  /** What the store can hold; stores that hold every kind of node leave it out (FULL_CAPABILITIES). */
  readonly capabilities?: Readonly<StoreCapabilities>;

  /** The root directory of a share, created from `init` the first time the share is seen. */
  getOrCreateRoot(shareName: string, init: NewNode): Promise<FileAttr>;

  get(id: FileId): Promise<FileAttr>;

  lookup(dirId: FileId, name: string): Promise<FileAttr>;

  /**
   * A node and the node one of its names holds, read together (one read where a store has round
   * trips): `entry` is null when the name is free, and when `dirId` is not a directory (the
   * caller checks `dir`'s type). NotFound only when `dirId` names nothing.
   */
  lookupIn(dirId: FileId, name: string): Promise<{ dir: FileAttr; entry: FileAttr | null }>;

  /**
   * Creates a node with one name. A new directory starts with nlink 2 and adds one to its parent's.
   * Returns the new node and the directory after the change (its wcc data needs no second read).
   */
  create(dirId: FileId, name: string, node: NewNode, now: Timespec): Promise<Created>;

  /**
   * Creates many names in one directory in one transaction (one commit), as `create` would one
   * by one in array order: entries get rising cookies in that order, new directories nlink 2 and
   * one link each on the parent. A name already taken, in the directory or earlier in `entries`,
   * is not an error: its slot in the result is null and the other entries are created anyway;
   * every other slot holds the new node. The directory's mtime and ctime become `now` once,
   * unless nothing was created, in which case nothing changes. Errors (NotFound, NotDir, a name
   * the store cannot hold) fail the whole call and create nothing.
   */
  createMany(dirId: FileId, entries: readonly NewEntry[], now: Timespec): Promise<Array<FileAttr | null>>;

  /** Adds a name for an existing non-directory node: nlink + 1, node ctime = now. */
  link(dirId: FileId, name: string, targetId: FileId, now: Timespec): Promise<FileAttr>;

  /**
   * Removes one name. The node's nlink drops by one (a directory's to 0, and its parent's by one);
   * at 0 the node is deleted. Node ctime = now when it survives. NotEmpty for a non-empty directory.
   * `only` refuses a node of the other kind (see UnlinkOnly). Returns what is left of the node
   * and the directory after the change.
   */
  unlink(dirId: FileId, name: string, now: Timespec, only?: UnlinkOnly): Promise<Removed>;

  /**
   * Moves a name, atomically replacing whatever `toName` named (returned as `replaced`, already
   * unlinked as by `unlink`). Moving a directory fixes both parents' link counts. Renaming a name
   * onto the same node is a no-op.
   */
  rename(
    fromDirId: FileId,
    fromName: string,
    toDirId: FileId,
    toName: string,
    now: Timespec,
  ): Promise<{ moved: FileAttr; replaced: Unlinked | null }>;

  setAttr(id: FileId, changes: AttrChanges): Promise<FileAttr>;

  /**
   * Stores whose files are written in place on a disk (the fs store's folder layout) record a
   * WRITE here instead of through setAttr: its bytes are in the file already and the write
   * moved the file's mtime itself, so `changes` (the new size, mtime and ctime, the archive bit)
   * need not be written to the disk again.
   */
  wrote?(id: FileId, changes: AttrChanges): Promise<FileAttr>;

  /** Entries in cookie order, starting after `afterCookie` (0 = from the start), at most `limit`. */
  readDir(dirId: FileId, afterCookie: number, limit: number): Promise<DirPage>;

  /** The parent of a directory (a root is its own parent). */
  parentOf(dirId: FileId): Promise<FileAttr>;

  readLink(id: FileId): Promise<string>;

  /**
   * Stores whose tree mirrors a remote namespace (an S3 bucket's keys) list `dirId` from there
   * again now, on demand; FsError("Io") when the remote side cannot be listed (the cached
   * listing stays). Stores that hold their tree themselves do not have it.
   */
  refresh?(dirId: FileId): Promise<void>;

  /**
   * Makes every change the store has reported so far durable: a power cut after this resolves
   * keeps them. NFS COMMIT and stable WRITEs call it, so that a file's size and names are on disk
   * with its data before the client drops its copy. Stores whose every write is durable anyway
   * (PostgreSQL) and stores that keep nothing (memory) resolve at once.
   */
  sync(): Promise<void>;

  /**
   * A random 32-byte secret kept under `name`, created on first use and the same ever after, for
   * every server sharing the store (file handles are signed with keys derived from it).
   */
  secret(name: string): Promise<Buffer>;

  /**
   * Stores that several servers share (PostgreSQL) lease the right to write a file's content to
   * one server at a time, so that two servers never upload competing versions of one object.
   * Takes or renews the lease on `key` for `holder` until `ttlMs` from now (by the store's clock);
   * false while another holder's lease has not expired.
   */
  acquireLease?(key: string, holder: string, ttlMs: number): Promise<boolean>;

  /** Gives up `holder`'s lease on `key` (nothing when it holds none). */
  releaseLease?(key: string, holder: string): Promise<void>;

  /** Files and content bytes held by the store, over all its shares. */
  usage(): Promise<StoreUsage>;

  close(): Promise<void>;
}
