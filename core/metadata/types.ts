/** Metadata types shared by the metadata service and every metadata store. No protocol constants. */

export type FileType = "file" | "dir" | "symlink" | "block" | "char" | "socket" | "fifo";

/**
 * A store's identity for one file. Opaque to everyone but the store, at most 48 bytes of UTF-8,
 * and never reused for another file by the same store, not even after a restart (memory stores
 * use a random per-instance prefix, SQLite AUTOINCREMENT, PostgreSQL UUIDs). File handles embed it.
 */
export type FileId = string;

export interface Timespec {
  sec: number;
  nsec: number;
}

export interface DeviceNumber {
  major: number;
  minor: number;
}

export interface FileAttr {
  id: FileId;
  /** A stable number for the file, unique within the store (NFS fileid, inode number). */
  ino: number;
  type: FileType;
  /** Permission bits, including setuid, setgid and sticky (mask 0o7777). */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** Bytes of content for files, target length for symlinks; stores keep what they are given. */
  size: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** When the node was made (SMB's CreationTime); clients may set it. */
  birthtime: Timespec;
  /**
   * The DOS attribute bits the mode cannot hold (see DOS_ATTRIBUTES_KEPT): what SMB clients set
   * and read back. Stores keep the number as given.
   */
  dosAttributes: number;
  /** Where a regular file's bytes live in the share's content store; null for other types. */
  contentId: string | null;
  /** Device number for block and character devices; zeros otherwise. */
  rdev: DeviceNumber;
  /**
   * The root directory of the share whose tree holds this node. A store that serves several
   * shares keeps their trees apart: a node is created in its parent's tree and never leaves it.
   */
  shareRoot: FileId;
}

/** What a store needs to create a node. The store assigns id, ino and nlink. */
export interface NewNode {
  type: FileType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** Defaults to `ctime`. */
  birthtime?: Timespec;
  /** Defaults to none (0). */
  dosAttributes?: number;
  contentId: string | null;
  rdev: DeviceNumber;
  /** Symlink target; required for symlinks, ignored otherwise. */
  symlinkTarget?: string;
}

/** Attribute changes a store applies as given (the service decides what is allowed). */
export type AttrChanges = Partial<
  Pick<FileAttr, "mode" | "uid" | "gid" | "size" | "atime" | "mtime" | "ctime" | "birthtime" | "dosAttributes">
>;

/**
 * DOS attribute bits (MS-FSCC §2.6) a node keeps in `dosAttributes`. They are the bits Windows
 * lets a client set and read back (MS-FSA §2.1.5.14.2) that POSIX has no place for; READONLY of
 * a file is its owner's write bit and DIRECTORY its type, so those are derived, not kept —
 * except READONLY on a directory, which Windows keeps apart from the directory's permissions.
 */
export const DOS_READONLY = 0x1;
export const DOS_HIDDEN = 0x2;
export const DOS_SYSTEM = 0x4;
export const DOS_ARCHIVE = 0x20;
export const DOS_TEMPORARY = 0x100;
export const DOS_OFFLINE = 0x1000;
export const DOS_NOT_CONTENT_INDEXED = 0x2000;
export const DOS_ATTRIBUTES_KEPT =
  DOS_READONLY | DOS_HIDDEN | DOS_SYSTEM | DOS_ARCHIVE | DOS_TEMPORARY | DOS_OFFLINE | DOS_NOT_CONTENT_INDEXED;

export interface DirEntry {
  name: string;
  /**
   * Position of this entry in its directory: a positive integer, strictly increasing in creation
   * order and never reused within the directory. Listings resume after a cookie, so entries added
   * or removed during a listing never make a client loop or see an entry twice.
   */
  cookie: number;
  attr: FileAttr;
}

export interface DirPage {
  entries: DirEntry[];
  /** True when no entry follows the last one returned. */
  eof: boolean;
}

/** What is left of a node after one of its names was removed. */
export interface Unlinked {
  /** The node as it is now; `nlink` 0 means the store deleted it and its content may go. */
  node: FileAttr;
}

export interface StoreUsage {
  files: number;
  bytes: number;
}

/** The weak cache consistency data NFSv3 sends around a change (RFC 1813 §2.6). */
export interface WccAttr {
  size: number;
  mtime: Timespec;
  ctime: Timespec;
}

export interface Wcc {
  before: WccAttr | null;
  after: FileAttr | null;
}

/**
 * Who a client says it is, before the share's squashing rules: each protocol adapter derives it
 * from its own credentials (AUTH_SYS, an SMB session's mapped ids).
 */
export interface ClaimedIdentity {
  uid: number;
  gid: number;
  gids: readonly number[];
}

/** Who is asking, after the share's squashing rules were applied. */
export interface AuthContext {
  uid: number;
  gid: number;
  gids: number[];
}

export function wccOf(attr: FileAttr): WccAttr {
  return { size: attr.size, mtime: attr.mtime, ctime: attr.ctime };
}

let lastSec = 0;
let lastNsec = 0;

/**
 * The time now, strictly later than every earlier answer in this process: clients compare mtimes
 * and ctimes to tell whether their cache is stale, so a change must never get an earlier time
 * than the change before it. Date.now() gives the milliseconds, hrtime the nanoseconds below
 * them; the two clocks are not in phase, so a reading that would go backwards becomes the last
 * one plus a nanosecond.
 */
export function timespecNow(): Timespec {
  const ms = Date.now();
  let sec = Math.floor(ms / 1000);
  let nsec = (ms % 1000) * 1_000_000 + Number(process.hrtime.bigint() % 1_000_000n);
  if (sec < lastSec || (sec === lastSec && nsec <= lastNsec)) {
    sec = lastSec;
    nsec = lastNsec + 1;
    if (nsec === 1_000_000_000) {
      sec += 1;
      nsec = 0;
    }
  }
  lastSec = sec;
  lastNsec = nsec;
  return { sec, nsec };
}
