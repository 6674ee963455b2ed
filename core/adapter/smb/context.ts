import { randomBytes } from "node:crypto";
import type { SmbAdapterConfig, SmbEncryption } from "../../config/types.js";
import { isFsError } from "../../errors.js";
import type { ContentService } from "../../content/service.js";
import { NameNotFound, type MetadataService } from "../../metadata/service.js";
import type { AuthContext, FileAttr, FileId } from "../../metadata/types.js";
import {
  SMB2_LEASE_HANDLE_CACHING,
  SMB2_LEASE_READ_CACHING,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_OBJECT_PATH_SYNTAX_BAD,
  STATUS_SHARING_VIOLATION,
} from "../../protocol/smb2/constants.js";
import { toFiletime, type SmbFileInfo } from "../../protocol/smb2/info.js";
import type { Registry } from "../../registry/registry.js";
import type { ConfiguredShare } from "../../registry/share.js";
import type { Logger } from "../../util/logger.js";
import { ByteRangeLocks } from "./byte-range-locks.js";
import { CaseInsensitiveNames, directoryKey } from "./case-names.js";
import { reportedAttributes } from "./dos-attributes.js";
import { DisconnectedOpens } from "./durable.js";
import { smbError } from "./errors.js";
import { DirectoryWatches, type DirectoryWatch } from "./notify.js";
import { CacheGrants, type Lease } from "./oplocks.js";
import { OpenFiles } from "./open-files.js";
import { ResumeKeys } from "./resume-keys.js";
import { Session, type Open } from "./state.js";

/** A configured user with the password's NT hash (MD4 of its UTF-16LE form), never the password. */
export interface SmbUser {
  name: string;
  ntHash: Buffer;
  auth: AuthContext;
}

/** What owns a session: its connection, which ends it (its opens close, its trees go). */
export interface SessionHolder {
  /** With `keepDurable`, its durable opens wait to be reclaimed (MS-SMB2 §3.3.5.5.3). */
  endSession(session: Session, keepDurable?: boolean): Promise<void>;
}

/** Largest READ, WRITE and transaction the server offers (MS-SMB2 §2.2.4). */
export const MAX_IO_BYTES = 1024 * 1024;
/** Messages in progress per connection before it stops reading. */
export const MAX_MESSAGES_IN_FLIGHT = 64;
/** Credits a client may hold (Samba's default "smb2 max credits"). */
export const MAX_CREDITS = 8192;
/** What one connection may hold, so that a client cannot grow the server without bound. */
export const MAX_OPENS_PER_CONNECTION = 16384;
export const MAX_SESSIONS_PER_CONNECTION = 256;
export const MAX_TREES_PER_SESSION = 1024;
/** Path components in a CREATE name. */
const MAX_PATH_COMPONENTS = 256;
const MAX_NAME_BYTES = 255;
/** Entries read per page when listing a directory's names. */
const LIST_PAGE = 1024;

/** What every SMB connection and command shares: the registry, the config, the server's identity. */
export class SmbContext {
  readonly serverGuid = randomBytes(16);
  readonly startTime = toFiletime(Math.floor(Date.now() / 1000), 0);
  private current: Registry | null = null;
  private stopWatching: (() => void) | null = null;
  /** Set while some directory is watched: attribute changes cost the metadata service nothing otherwise. */
  private stopWatchingAttrs: (() => void) | null = null;
  /** Directories watched by CHANGE_NOTIFY. */
  private readonly watches: DirectoryWatches;
  private readonly users = new Map<string, SmbUser>();
  /** Every live session of the server and the connection it lives on (MS-SMB2 §3.3.1.1 GlobalSessionTable). */
  private readonly sessions = new Map<bigint, { session: Session; holder: SessionHolder }>();
  /** FileIds are unique server-wide, so that a reclaimed durable open keeps its own on any connection. */
  private nextFileId = 1n;
  /** Stored spellings of names, for lookups without case. */
  readonly names = new CaseInsensitiveNames();
  /** Byte-range locks of every file served, by fileKey. */
  readonly locks = new ByteRangeLocks();
  /** Every file's opens across connections: share modes and delete pending. */
  private readonly openFiles = new OpenFiles();
  /** Oplocks and leases of every file. */
  readonly grants = new CacheGrants();
  private stopBreaking: (() => void) | null = null;
  /** Durable opens of dropped connections, waiting to be reclaimed. */
  readonly disconnected: DisconnectedOpens;
  /** The keys FSCTL_SRV_COPYCHUNK names its source opens by. */
  readonly resumeKeys = new ResumeKeys();

  constructor(
    readonly config: SmbAdapterConfig,
    users: readonly SmbUser[],
    readonly logger: Logger,
  ) {
    for (const user of users) this.users.set(user.name.toUpperCase(), user);
    this.disconnected = new DisconnectedOpens((open) => this.closeOpen(open, null), logger);
    this.watches = new DirectoryWatches({ openName: (share, id) => this.openName(share, id), metadata: () => this.metadata }, logger);
  }

  set registry(registry: Registry) {
    this.current = registry;
  }

  /**
   * The adapter serves: the metadata service's name changes reach CHANGE_NOTIFY watches, and
   * NFS reads and writes break oplocks and leases (a read takes write caching away, so the
   * client flushes first; a write takes every cache away).
   */
  open(): void {
    this.close();
    this.stopWatching = this.registry.metadata.watchNames((change) => this.watches.nameChanged(change));
    this.stopBreaking = this.registry.clientCaches.register((share, fileId, use) => {
      const key = fileKey(share, fileId);
      if (!this.grants.cachedByOthers(key, null)) return null;
      return this.grants.breakOthers(key, null, use === "read" ? SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING : 0, null);
    });
  }

  /** The adapter stopped: name changes no longer reach it, nor NFS's breaks. */
  close(): void {
    this.stopWatching?.();
    this.stopWatching = null;
    this.stopBreaking?.();
    this.stopBreaking = null;
    this.stopWatchingAttrs?.();
    this.stopWatchingAttrs = null;
    void this.disconnected.closeAll();
  }

  /** Starts a directory open's CHANGE_NOTIFY watch. */
  watchDirectory(open: Open, watch: DirectoryWatch): DirectoryWatch {
    this.watches.add(open.share!.name, open.fileId!, watch);
    this.stopWatchingAttrs ??= this.metadata.watchAttrs((change) => this.watches.attrsChanged(change));
    return watch;
  }

  /** Where an SMB open of the node has its name. */
  private openName(share: string, id: FileId): { dirId: FileId; name: string } | null {
    const configured = this.registry.share(share);
    const open = configured && this.openFiles.anyOpen(fileKey(configured, id));
    return open && open.parentId !== null ? { dirId: open.parentId, name: open.name } : null;
  }

  get registry(): Registry {
    if (!this.current) throw new Error("SMB adapter used before setRegistry()");
    return this.current;
  }

  get metadata(): MetadataService {
    return this.registry.metadata;
  }

  get content(): ContentService {
    return this.registry.content;
  }

  /** User names compare without case, as Windows and Samba compare them. */
  user(name: string): SmbUser | undefined {
    return this.users.get(name.toUpperCase());
  }

  /**
   * A new session of `holder`'s connection, its id unique among the server's live sessions and
   * never 0. Ids fit in 32 bits, as Samba's do: some clients (smbtorture's session-id test) keep
   * them in 32-bit variables.
   */
  newSession(holder: SessionHolder): Session {
    for (;;) {
      const id = BigInt(randomBytes(4).readUInt32LE());
      if (id !== 0n && !this.sessions.has(id)) {
        const session = new Session(id);
        this.sessions.set(id, { session, holder });
        return session;
      }
    }
  }

  /** A live session of any connection, and what can end it. */
  globalSession(id: bigint): { session: Session; holder: SessionHolder } | undefined {
    return this.sessions.get(id);
  }

  forgetSession(id: bigint): void {
    this.sessions.delete(id);
  }

  /** A fresh FileId (its persistent and volatile parts are the same). */
  newFileId(): bigint {
    return this.nextFileId++;
  }

  /** Whether the file's other opens keep `open` out (share modes), without counting it. */
  sharingConflict(open: Open): boolean {
    return open.share !== null && open.fileId !== null && this.openFiles.conflicts(fileKey(open.share, open.fileId), open);
  }

  /** Whether any other open of the file uses its data (for the oplock or lease it may be granted). */
  othersOpen(open: Open, lease: Lease | null, forLease: boolean): boolean {
    return open.share !== null && open.fileId !== null && this.openFiles.othersUseData(fileKey(open.share, open.fileId), open, lease, forLease);
  }

  /** Counts an open of a file, if the file's other opens share what it wants (else STATUS_SHARING_VIOLATION). */
  admitOpen(open: Open): void {
    if (open.share && open.fileId !== null) this.openFiles.admit(fileKey(open.share, open.fileId), open);
  }

  /** A rename of the open's file fails while another open of it does not share delete. */
  requireDeleteShared(open: Open): void {
    if (open.share && open.fileId !== null && this.openFiles.othersDenyDelete(fileKey(open.share, open.fileId), open)) {
      throw smbError(STATUS_SHARING_VIOLATION, "another open of the file does not share delete");
    }
  }

  /** The open changes the file's data (WRITE, a new size, a byte-range lock): others' read caches go. */
  breakReadCaches(open: Open): void {
    if (open.share && open.fileId !== null) this.grants.breakReaders(fileKey(open.share, open.fileId), open.oplock ?? open.lease);
  }

  /** Takes back an admitted open whose CREATE failed afterwards. */
  withdrawOpen(open: Open): void {
    if (open.share && open.fileId !== null) this.openFiles.release(fileKey(open.share, open.fileId), open, true);
  }

  /** Marks (or clears) a file's pending delete: it goes when its last open closes (MS-FSCC §2.4.11). */
  setDeletePending(open: Open, pending: boolean): void {
    if (open.share && open.fileId !== null) this.openFiles.setDeletePending(fileKey(open.share, open.fileId), pending);
  }

  isDeletePending(share: ConfiguredShare, fileId: FileId): boolean {
    return this.openFiles.isDeletePending(fileKey(share, fileId));
  }

  /**
   * The end of an open: its byte-range locks go, delete on close marks the file, and the last open
   * of a marked file removes its name (as the session that closes it; a failure is logged, the
   * close still succeeds).
   */
  async closeOpen(open: Open, session: Session | null): Promise<void> {
    this.resumeKeys.forget(open);
    try {
      await this.closeOpenFile(open, session);
    } finally {
      // Last, so that a request waiting for this open's oplock or lease to go finds it gone, and its file too if it was deleted.
      this.grants.release(open);
    }
  }

  private async closeOpenFile(open: Open, session: Session | null): Promise<void> {
    if (!open.share || open.fileId === null) return;
    if (open.watch) {
      this.watches.remove(open.share.name, open.fileId, open.watch);
      open.watch.close();
      if (this.watches.size === 0) {
        this.stopWatchingAttrs?.();
        this.stopWatchingAttrs = null;
      }
    }
    const key = fileKey(open.share, open.fileId);
    this.locks.releaseOwner(key, open.owner);
    const { last, deletePending } = this.openFiles.release(key, open);
    // The other opens' watches of a directory about to go end (as Windows ends them at cleanup).
    if (deletePending && open.isDirectory) this.watches.deleting(open.share.name, open.fileId);
    if (!last || !deletePending || open.parentId === null) return;
    const auth = session ? this.authFor(session, open.share) : (open.durable?.auth ?? open.share.authContext(null));
    try {
      const { dirWcc } = open.isDirectory
        ? await this.metadata.rmdir(auth, open.share.name, open.parentId, open.name)
        : await this.metadata.remove(auth, open.share.name, open.parentId, open.name);
      this.names.removed(directoryKey(open.share.id, open.parentId), dirWcc, open.name);
    } catch (err) {
      if (!isFsError(err, "NotFound")) this.logger.warn({ err, share: open.share.name, name: open.name }, "delete on close failed");
    }
  }

  /** The registry share an SMB share name names (names compare without case). */
  share(name: string): ConfiguredShare | undefined {
    const wanted = name.toUpperCase();
    return this.registry.shares().find((share) => share.servedOver("smb") && share.config.smb.name.toUpperCase() === wanted);
  }

  /** Whom the services see for a session on a share: the user's ids through the share's squash rules, or its anonymous ids. */
  authFor(session: Session, share: ConfiguredShare): AuthContext {
    return share.authContext(session.guest || session.anonymous ? null : session.auth);
  }

  encryptionOf(share: ConfiguredShare | null): SmbEncryption {
    return share?.config.smb.encryption ?? this.config.encryption;
  }

  /** SMB2's view of a file's attributes (MS-FSCC §2.4). */
  fileInfo(attr: FileAttr, name: string, deletePending = false): SmbFileInfo {
    const directory = attr.type === "dir";
    const mtime = toFiletime(attr.mtime.sec, attr.mtime.nsec);
    const ctime = toFiletime(attr.ctime.sec, attr.ctime.nsec);
    const atime = toFiletime(attr.atime.sec, attr.atime.nsec);
    const size = directory ? 0 : attr.size;
    return {
      creationTime: toFiletime(attr.birthtime.sec, attr.birthtime.nsec),
      lastAccessTime: atime,
      lastWriteTime: mtime,
      changeTime: ctime,
      endOfFile: size,
      allocationSize: Math.ceil(size / 4096) * 4096,
      attributes: reportedAttributes(attr, name),
      fileIndex: BigInt(attr.ino),
      numberOfLinks: attr.nlink,
      deletePending,
      directory,
    };
  }

  /**
   * The directory a path's last component lives in, and that component ("" for the share root).
   * Missing directories on the way are STATUS_OBJECT_PATH_NOT_FOUND.
   */
  async resolveParent(auth: AuthContext, share: ConfiguredShare, path: string): Promise<{ dirId: FileId; name: string }> {
    const parts = splitPath(path);
    let dirId = (await this.metadata.root(share.name)).id;
    for (const part of parts.slice(0, -1)) {
      const found = await this.lookupName(auth, share, dirId, part);
      if (!found) throw smbError(STATUS_OBJECT_PATH_NOT_FOUND, `no directory '${part}'`);
      if (found.attr.type !== "dir") throw smbError(STATUS_OBJECT_PATH_NOT_FOUND, `'${part}' is not a directory`);
      dirId = found.attr.id;
    }
    return { dirId, name: parts.at(-1) ?? "" };
  }

  /**
   * The node a name holds in a directory, found without case as Windows does, with the name as
   * stored; null when no name matches.
   */
  async lookupName(auth: AuthContext, share: ConfiguredShare, dirId: FileId, name: string): Promise<{ attr: FileAttr; name: string } | null> {
    try {
      return { attr: (await this.metadata.lookup(auth, share.name, dirId, name)).attr, name };
    } catch (err) {
      if (!(err instanceof NameNotFound)) {
        if (isFsError(err, "NotFound")) return null;
        throw err;
      }
      const stored = await this.names.find(directoryKey(share.id, dirId), err.dir, name, () => this.listNames(auth, share, dirId));
      if (stored === null || stored === name) return null;
      try {
        return { attr: (await this.metadata.lookup(auth, share.name, dirId, stored)).attr, name: stored };
      } catch (again) {
        if (isFsError(again, "NotFound")) return null;
        throw again;
      }
    }
  }

  /** Every name in a directory (for the case-insensitive table). */
  private async listNames(auth: AuthContext, share: ConfiguredShare, dirId: FileId): Promise<string[]> {
    const names: string[] = [];
    for (let after = 0; ; ) {
      const { page } = await this.metadata.readDir(auth, share.name, dirId, after, LIST_PAGE);
      for (const entry of page.entries) names.push(entry.name);
      if (page.eof || page.entries.length === 0) return names;
      after = page.entries.at(-1)!.cookie;
    }
  }

  /** The node a path names; STATUS_OBJECT_NAME_NOT_FOUND when it does not exist. */
  async resolve(auth: AuthContext, share: ConfiguredShare, path: string): Promise<{ attr: FileAttr; parentId: FileId | null; name: string }> {
    const { dirId, name } = await this.resolveParent(auth, share, path);
    if (name === "") return { attr: await this.metadata.root(share.name), parentId: null, name: "" };
    const found = await this.lookupName(auth, share, dirId, name);
    if (!found) throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, `no file '${path}'`);
    return { attr: found.attr, parentId: dirId, name: found.name };
  }
}

/** A file across shares: the key of its open count and byte-range locks. */
export function fileKey(share: Pick<ConfiguredShare, "id">, fileId: FileId): string {
  return `${share.id}:${fileId}`;
}

/** Characters Windows forbids in a name (besides the separators). */
const FORBIDDEN = /["*:<>?|/]/;

function hasControlChar(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x20) return true;
  return false;
}

/**
 * A share-relative SMB path ("dir\\file.txt", leading "\\" allowed) split into its components,
 * refusing what no Windows file system holds: forbidden characters (so no streams, no wildcards),
 * "." and ".." components, empty components, over-long names.
 */
export function splitPath(path: string): string[] {
  const trimmed = path.startsWith("\\") ? path.slice(1) : path;
  if (trimmed === "") return [];
  const parts = trimmed.split("\\");
  if (parts.length > MAX_PATH_COMPONENTS) throw smbError(STATUS_OBJECT_NAME_INVALID, `path of ${parts.length} components`);
  for (const part of parts) {
    if (part === "" || part === "." || part === "..") throw smbError(STATUS_OBJECT_PATH_SYNTAX_BAD, `path component ${JSON.stringify(part)}`);
    if (FORBIDDEN.test(part) || hasControlChar(part)) throw smbError(STATUS_OBJECT_NAME_INVALID, `forbidden character in ${JSON.stringify(part)}`);
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) throw smbError(STATUS_OBJECT_NAME_INVALID, "name too long");
  }
  return parts;
}
