import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { fsError, isFsError } from "../../../errors.js";
import { WalSync } from "../../../util/wal-sync.js";
import { checkUnlinkable, type Created, type MetadataStore, type NewEntry, type Removed, type UnlinkOnly } from "../../store.js";
import type {
  AttrChanges,
  DirPage,
  FileAttr,
  FileId,
  FileType,
  NewNode,
  StoreUsage,
  Timespec,
  Unlinked,
} from "../../types.js";
import { LruMap } from "../../../util/lru.js";
import { MIGRATIONS } from "./schema.js";

export interface SqliteMetadataStoreOptions {
  /** Database file; its directory is created when missing. ":memory:" for a throwaway store. */
  path: string;
}

interface NodeRow {
  id: number;
  type: FileType;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  atime_sec: number;
  atime_nsec: number;
  mtime_sec: number;
  mtime_nsec: number;
  ctime_sec: number;
  ctime_nsec: number;
  content_id: string | null;
  rdev_major: number;
  rdev_minor: number;
  /** A directory's parent; null for roots and for everything but directories. */
  parent_id: number | null;
  /** The root of the share whose tree holds the node (null only for nodes no share reaches). */
  share_root: number | null;
  birth_sec: number;
  birth_nsec: number;
  dos_attributes: number;
}

/**
 * A row as raw mode returns it: an array of the selected columns. Node rows are read this way
 * (see nodeFromTuple): better-sqlite3 builds an array far faster than an object with 21 named
 * properties, and a JS object literal is then cheap.
 */
type Cell = string | number | null;

const SECRET_BYTES = 32;

/** Node rows and directory entries kept in memory, most recently used first. */
const CACHED_NODES = 16_384;
const CACHED_ENTRIES = 16_384;

/** Every column of a NodeRow, in the order nodeFromTuple reads them, for SELECT and RETURNING. */
const NODE_COLUMN_LIST = [
  "id",
  "type",
  "mode",
  "nlink",
  "uid",
  "gid",
  "size",
  "atime_sec",
  "atime_nsec",
  "mtime_sec",
  "mtime_nsec",
  "ctime_sec",
  "ctime_nsec",
  "content_id",
  "rdev_major",
  "rdev_minor",
  "parent_id",
  "share_root",
  "birth_sec",
  "birth_nsec",
  "dos_attributes",
] as const;
const NODE_COLUMNS = NODE_COLUMN_LIST.join(", ");
const NODE_COLUMNS_OF_N = NODE_COLUMN_LIST.map((c) => `n.${c}`).join(", ");

/** The NodeRow in a raw row whose columns from `at` on are NODE_COLUMNS. */
function nodeFromTuple(t: readonly Cell[], at = 0): NodeRow {
  return {
    id: t[at] as number,
    type: t[at + 1] as FileType,
    mode: t[at + 2] as number,
    nlink: t[at + 3] as number,
    uid: t[at + 4] as number,
    gid: t[at + 5] as number,
    size: t[at + 6] as number,
    atime_sec: t[at + 7] as number,
    atime_nsec: t[at + 8] as number,
    mtime_sec: t[at + 9] as number,
    mtime_nsec: t[at + 10] as number,
    ctime_sec: t[at + 11] as number,
    ctime_nsec: t[at + 12] as number,
    content_id: t[at + 13] as string | null,
    rdev_major: t[at + 14] as number,
    rdev_minor: t[at + 15] as number,
    parent_id: t[at + 16] as number | null,
    share_root: t[at + 17] as number | null,
    birth_sec: t[at + 18] as number,
    birth_nsec: t[at + 19] as number,
    dos_attributes: t[at + 20] as number,
  };
}

/** A raw statement whose rows start with NODE_COLUMNS, read as NodeRows. */
class NodeQuery<P extends unknown[]> {
  private readonly stmt: Database.Statement<P, Cell[]>;

  constructor(db: Database.Database, sql: string) {
    this.stmt = db.prepare<P, Cell[]>(sql).raw(true);
  }

  get(...params: P): NodeRow | undefined {
    const t = this.stmt.get(...params);
    return t && nodeFromTuple(t);
  }

  /** The row and the one column selected after NODE_COLUMNS. */
  getWithExtra(...params: P): { row: NodeRow; extra: Cell } | undefined {
    const t = this.stmt.get(...params);
    return t && { row: nodeFromTuple(t), extra: t[NODE_COLUMN_LIST.length]! };
  }
}

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;
type Tx<F extends (...args: never[]) => unknown> = Database.Transaction<F>;

/**
 * A metadata store in one SQLite database (WAL, synchronous=NORMAL): every method is one
 * transaction that has committed to the WAL when its promise resolves, so what it reported
 * survives the process being killed. Node ids come from AUTOINCREMENT and are never reused.
 * Each directory hands out entry cookies from its own `next_cookie` counter.
 *
 * The store is its database's only writer (one server process opens it), so it keeps the most
 * recently used node rows and name → child pairs in memory: a GETATTR or LOOKUP of a hot file
 * then costs no SQLite statement. A write transaction collects the rows it changed and hands
 * them to the caches only once it has committed, so the caches always equal what is committed.
 */
export class SqliteMetadataStore implements MetadataStore {
  readonly kind = "sqlite";

  private readonly q: ReturnType<typeof prepareStatements>;
  private readonly txRoot: Tx<(shareName: string, init: NewNode) => NodeRow>;
  private readonly txCreate: Tx<(dirId: number, name: string, node: NewNode, now: Timespec) => Created>;
  private readonly txCreateMany: Tx<(dirId: number, entries: readonly NewEntry[], now: Timespec) => Array<NodeRow | null>>;
  private readonly txLink: Tx<(dirId: number, name: string, targetId: number, now: Timespec) => NodeRow>;
  private readonly txUnlink: Tx<(dirId: number, name: string, now: Timespec, only: UnlinkOnly | undefined) => Removed>;
  private readonly txRename: Tx<
    (
      fromDirId: number,
      fromName: string,
      toDirId: number,
      toName: string,
      now: Timespec,
    ) => { moved: FileAttr; replaced: Unlinked | null }
  >;
  private readonly nodeCache = new LruMap<number, NodeRow>(CACHED_NODES);
  /** Child ids by entryKey(dir, name); names that do not exist are not cached. */
  private readonly entryCache = new LruMap<string, number>(CACHED_ENTRIES);
  /** Rows the write transaction in progress changed: the new row, or null when only known to differ. */
  private readonly pendingNodes = new Map<number, NodeRow | null>();
  /** Entries the write transaction in progress added (child id) or removed (null). */
  private readonly pendingEntries = new Map<string, number | null>();

  private readonly walSync: WalSync;

  private constructor(
    private readonly db: Database.Database,
    /** The write-ahead log beside the database file; null for an in-memory database. */
    walPath: string | null,
  ) {
    this.q = prepareStatements(db);
    this.walSync = new WalSync(db, walPath, "the metadata log");
    this.txRoot = db.transaction((shareName: string, init: NewNode) => this.createRoot(shareName, init));
    this.txCreate = db.transaction((dirId: number, name: string, node: NewNode, now: Timespec) =>
      this.createNode(dirId, name, node, now),
    );
    this.txCreateMany = db.transaction((dirId: number, entries: readonly NewEntry[], now: Timespec) =>
      this.createNodes(dirId, entries, now),
    );
    this.txLink = db.transaction((dirId: number, name: string, targetId: number, now: Timespec) =>
      this.linkNode(dirId, name, targetId, now),
    );
    this.txUnlink = db.transaction((dirId: number, name: string, now: Timespec, only: UnlinkOnly | undefined) =>
      this.unlinkName(dirId, name, now, only),
    );
    this.txRename = db.transaction(
      (fromDirId: number, fromName: string, toDirId: number, toName: string, now: Timespec) =>
        this.renameEntry(fromDirId, fromName, toDirId, toName, now),
    );
  }

  static open(options: SqliteMetadataStoreOptions): SqliteMetadataStore {
    const inMemory = options.path === ":memory:" || options.path === "";
    const isNew = !inMemory && !existsSync(options.path);
    if (!inMemory) mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    const db = new Database(options.path);
    // The database holds the file handle secret: a new one is for the server's user alone
    // (SQLite gives its -wal and -shm files the same mode).
    if (isNew) chmodSync(options.path, 0o600);
    try {
      // One process owns the database, as the caches assume: EXCLUSIVE locking makes a second
      // opener fail rather than write behind their back, and spares every transaction the
      // shared-memory lock calls of WAL mode. It must be set before WAL is first used.
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
      migrate(db);
      return new SqliteMetadataStore(db, inMemory ? null : `${options.path}-wal`);
    } catch (err) {
      db.close();
      throw translate(err);
    }
  }

  async getOrCreateRoot(shareName: string, init: NewNode): Promise<FileAttr> {
    return this.guard(() => toAttr(this.write(() => this.txRoot.immediate(shareName, init))));
  }

  async get(id: FileId): Promise<FileAttr> {
    return this.guard(() => toAttr(this.nodeRow(parseId(id))));
  }

  async lookup(dirId: FileId, name: string): Promise<FileAttr> {
    return this.guard(() => {
      const dir = parseId(dirId);
      const key = entryKey(dir, name);
      const cached = this.entryCache.get(key);
      if (cached !== undefined) return toAttr(this.nodeRow(cached));
      const row = this.q.lookupNode.get(dir, name);
      if (row) {
        this.entryCache.set(key, row.id);
        this.nodeCache.set(row.id, row);
        return toAttr(row);
      }
      this.requireDir(dir);
      throw fsError("NotFound", `no entry '${name}' in directory ${dirId}`);
    });
  }

  async lookupIn(dirId: FileId, name: string): Promise<{ dir: FileAttr; entry: FileAttr | null }> {
    return this.guard(() => {
      const dir = this.nodeRow(parseId(dirId));
      if (dir.type !== "dir") return { dir: toAttr(dir), entry: null };
      const childId = this.childOf(dir.id, name);
      return { dir: toAttr(dir), entry: childId === undefined ? null : toAttr(this.nodeRow(childId)) };
    });
  }

  async create(dirId: FileId, name: string, node: NewNode, now: Timespec): Promise<Created> {
    return this.guard(() => this.write(() => this.txCreate.immediate(parseId(dirId), name, node, now)));
  }

  async createMany(dirId: FileId, entries: readonly NewEntry[], now: Timespec): Promise<Array<FileAttr | null>> {
    return this.guard(() =>
      this.write(() => this.txCreateMany.immediate(parseId(dirId), entries, now)).map((row) => row && toAttr(row)),
    );
  }

  async link(dirId: FileId, name: string, targetId: FileId, now: Timespec): Promise<FileAttr> {
    return this.guard(() => toAttr(this.write(() => this.txLink.immediate(parseId(dirId), name, parseId(targetId), now))));
  }

  async unlink(dirId: FileId, name: string, now: Timespec, only?: UnlinkOnly): Promise<Removed> {
    return this.guard(() => this.write(() => this.txUnlink.immediate(parseId(dirId), name, now, only)));
  }

  async rename(
    fromDirId: FileId,
    fromName: string,
    toDirId: FileId,
    toName: string,
    now: Timespec,
  ): Promise<{ moved: FileAttr; replaced: Unlinked | null }> {
    return this.guard(() =>
      this.write(() => this.txRename.immediate(parseId(fromDirId), fromName, parseId(toDirId), toName, now)),
    );
  }

  async setAttr(id: FileId, changes: AttrChanges): Promise<FileAttr> {
    return this.guard(() => {
      const row = this.q.setAttr.get({
        id: parseId(id),
        mode: changes.mode ?? null,
        uid: changes.uid ?? null,
        gid: changes.gid ?? null,
        size: changes.size ?? null,
        atimeSec: changes.atime?.sec ?? null,
        atimeNsec: changes.atime?.nsec ?? null,
        mtimeSec: changes.mtime?.sec ?? null,
        mtimeNsec: changes.mtime?.nsec ?? null,
        ctimeSec: changes.ctime?.sec ?? null,
        ctimeNsec: changes.ctime?.nsec ?? null,
        birthSec: changes.birthtime?.sec ?? null,
        birthNsec: changes.birthtime?.nsec ?? null,
        dosAttributes: changes.dosAttributes ?? null,
      });
      if (!row) throw fsError("NotFound", `no file ${id}`);
      this.nodeCache.set(row.id, row);
      return toAttr(row);
    });
  }

  async readDir(dirId: FileId, afterCookie: number, limit: number): Promise<DirPage> {
    return this.guard(() => this.listDir(parseId(dirId), afterCookie, limit));
  }

  async parentOf(dirId: FileId): Promise<FileAttr> {
    return this.guard(() => {
      const dir = this.requireDir(parseId(dirId));
      // A root has no parent: it is its own.
      return toAttr(dir.parent_id === null ? dir : this.nodeRow(dir.parent_id));
    });
  }

  async readLink(id: FileId): Promise<string> {
    return this.guard(() => {
      const row = this.q.symlinkTarget.get(parseId(id));
      if (!row) throw fsError("NotFound", `no file ${id}`);
      if (row.symlink_target === null) throw fsError("Invalid", `${id} is not a symbolic link`);
      return row.symlink_target;
    });
  }

  /** Fsyncs the write-ahead log (commits run with synchronous=NORMAL; see WalSync). */
  sync(): Promise<void> {
    if (!this.db.open) return Promise.reject(fsError("Io", "metadata store is closed"));
    return this.walSync.sync();
  }

  async secret(name: string): Promise<Buffer> {
    return this.guard(() => {
      // INSERT OR IGNORE: the first value stored under a name stays.
      this.q.insertSecret.run(name, randomBytes(SECRET_BYTES));
      return Buffer.from(this.q.getSecret.get(name)!.value);
    });
  }

  async usage(): Promise<StoreUsage> {
    return this.guard(() => this.q.usage.get()!);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    this.nodeCache.clear();
    this.entryCache.clear();
  }

  /** Runs a synchronous body, turning SQLite failures into FsErrors. */
  private guard<T>(body: () => T): T {
    if (!this.db.open) throw fsError("Io", "metadata store is closed");
    try {
      return body();
    } catch (err) {
      throw translate(err);
    }
  }

  /**
   * Runs a write transaction, then hands the rows and entries it changed to the caches. A
   * transaction that fails changed nothing, and the caches stay as they were.
   */
  private write<T>(tx: () => T): T {
    try {
      const result = tx();
      for (const [id, row] of this.pendingNodes) {
        if (row) this.nodeCache.set(id, row);
        else this.nodeCache.delete(id);
      }
      for (const [key, childId] of this.pendingEntries) {
        if (childId === null) this.entryCache.delete(key);
        else this.entryCache.set(key, childId);
      }
      return result;
    } finally {
      this.pendingNodes.clear();
      this.pendingEntries.clear();
    }
  }

  /** The current row of a node: inside a transaction, as the transaction has left it. */
  private nodeRow(id: number): NodeRow {
    const pending = this.pendingNodes.get(id);
    if (pending) return pending;
    if (pending === undefined) {
      const cached = this.nodeCache.get(id);
      if (cached) return cached;
    }
    const row = this.q.getNode.get(id);
    if (!row) throw fsError("NotFound", `no file ${id}`);
    // A row this transaction changed is cached when it commits, not before.
    if (pending === undefined) this.nodeCache.set(id, row);
    return row;
  }

  private requireDir(id: number): NodeRow {
    const row = this.nodeRow(id);
    if (row.type !== "dir") throw fsError("NotDir", `${id} is not a directory`);
    return row;
  }

  /** The child a name holds, as the transaction in progress sees it; undefined when free. */
  private childOf(dirId: number, name: string): number | undefined {
    const key = entryKey(dirId, name);
    const pending = this.pendingEntries.get(key);
    if (pending !== undefined) return pending ?? undefined;
    const cached = this.entryCache.get(key);
    if (cached !== undefined) return cached;
    const row = this.q.getEntry.get(dirId, name);
    if (row) this.entryCache.set(key, row.child_id);
    return row?.child_id;
  }

  /** Notes a row a write statement returned: the transaction's latest state of that node. */
  private changed<R extends NodeRow>(row: R): R {
    this.pendingNodes.set(row.id, row);
    return row;
  }

  /**
   * Inserts a node in the tree of `shareRoot`; a directory records `parentId` as its parent.
   * A share's root has neither (both null) and is its own share root.
   */
  private insertNode(node: NewNode, parentId: number | null, shareRoot: number | null): NodeRow {
    return this.changed(this.q.insertNode.get({
      type: node.type,
      mode: node.mode,
      nlink: node.type === "dir" ? 2 : 1,
      uid: node.uid,
      gid: node.gid,
      size: node.size,
      atimeSec: node.atime.sec,
      atimeNsec: node.atime.nsec,
      mtimeSec: node.mtime.sec,
      mtimeNsec: node.mtime.nsec,
      ctimeSec: node.ctime.sec,
      ctimeNsec: node.ctime.nsec,
      birthSec: (node.birthtime ?? node.ctime).sec,
      birthNsec: (node.birthtime ?? node.ctime).nsec,
      dosAttributes: node.dosAttributes ?? 0,
      contentId: node.contentId,
      rdevMajor: node.rdev.major,
      rdevMinor: node.rdev.minor,
      symlinkTarget: node.type === "symlink" ? (node.symlinkTarget ?? "") : null,
      parentId: node.type === "dir" ? parentId : null,
      shareRoot,
    })!);
  }

  /** Adds an entry with the directory's next cookie, adjusts its nlink and sets its times. */
  private addEntry(dirId: number, name: string, childId: number, nlinkDelta: number, now: Timespec): void {
    const { row, extra: cookie } = this.q.takeCookies.getWithExtra(1, nlinkDelta, now.sec, now.nsec, now.sec, now.nsec, dirId, 1)!;
    this.changed(row);
    this.q.insertEntry.run(dirId, name, childId, cookie as number);
    this.pendingEntries.set(entryKey(dirId, name), childId);
  }

  private deleteEntry(dirId: number, name: string): void {
    this.q.deleteEntry.run(dirId, name);
    this.pendingEntries.set(entryKey(dirId, name), null);
  }

  private deleteNode(id: number): void {
    this.q.deleteNode.run(id);
    this.pendingNodes.set(id, null);
  }

  /** Adjusts a directory's nlink and sets its mtime and ctime to `now`. */
  private touchDir(dirId: number, nlinkDelta: number, now: Timespec): void {
    this.changed(this.q.touchDir.get(nlinkDelta, now.sec, now.nsec, now.sec, now.nsec, dirId)!);
  }

  private addNlink(id: number, delta: number, now: Timespec): NodeRow {
    return this.changed(this.q.addNlink.get(delta, now.sec, now.nsec, id)!);
  }

  private createRoot(shareName: string, init: NewNode): NodeRow {
    const existing = this.q.getRoot.get(shareName);
    if (existing) return this.nodeRow(existing.node_id);
    if (init.type !== "dir") throw fsError("Invalid", `root of share ${shareName} must be a directory`);
    const root = this.changed(this.q.setShareRoot.get(this.insertNode(init, null, null).id)!);
    this.q.insertRoot.run(shareName, root.id);
    return root;
  }

  private createNode(dirId: number, name: string, node: NewNode, now: Timespec): Created {
    const dir = this.requireDir(dirId);
    if (this.childOf(dirId, name) !== undefined) throw fsError("Exists", `'${name}' exists in directory ${dirId}`);
    const child = this.insertNode(node, dirId, dir.share_root);
    this.addEntry(dirId, name, child.id, node.type === "dir" ? 1 : 0, now);
    return { attr: toAttr(child), dir: toAttr(this.nodeRow(dirId)) };
  }

  /** createMany's transaction: the directory row is updated once, whatever the number of entries. */
  private createNodes(dirId: number, entries: readonly NewEntry[], now: Timespec): Array<NodeRow | null> {
    const { share_root: shareRoot } = this.requireDir(dirId);
    const batch = new Set<string>();
    const free = entries.map(({ name }) => {
      // The first of two entries with one name gets it, as with two creates in a row.
      if (batch.has(name) || this.childOf(dirId, name) !== undefined) return false;
      batch.add(name);
      return true;
    });
    if (batch.size === 0) return entries.map(() => null);
    const dirs = entries.filter((entry, i) => free[i] && entry.node.type === "dir").length;
    const { row, extra } = this.q.takeCookies.getWithExtra(batch.size, dirs, now.sec, now.nsec, now.sec, now.nsec, dirId, batch.size)!;
    this.changed(row);
    let cookie = extra as number;
    return entries.map(({ name, node }, i) => {
      if (!free[i]) return null;
      const child = this.insertNode(node, dirId, shareRoot);
      this.q.insertEntry.run(dirId, name, child.id, cookie++);
      this.pendingEntries.set(entryKey(dirId, name), child.id);
      return child;
    });
  }

  private linkNode(dirId: number, name: string, targetId: number, now: Timespec): NodeRow {
    this.requireDir(dirId);
    const target = this.nodeRow(targetId);
    if (target.type === "dir") throw fsError("IsDir", `cannot hard-link directory ${targetId}`);
    if (this.childOf(dirId, name) !== undefined) throw fsError("Exists", `'${name}' exists in directory ${dirId}`);
    this.addEntry(dirId, name, targetId, 0, now);
    return this.addNlink(targetId, 1, now);
  }

  private unlinkName(dirId: number, name: string, now: Timespec, only: UnlinkOnly | undefined): Removed {
    const childId = this.childOf(dirId, name);
    if (childId === undefined) {
      this.requireDir(dirId);
      throw fsError("NotFound", `no entry '${name}' in directory ${dirId}`);
    }
    // A name exists only in a directory, so dirId needs no check of its own here.
    const child = this.nodeRow(childId);
    checkUnlinkable(child.type, only, name);
    if (child.type === "dir" && this.q.hasEntries.get(child.id)) {
      throw fsError("NotEmpty", `directory '${name}' is not empty`);
    }
    this.deleteEntry(dirId, name);
    const result = this.dropName(child, now);
    this.touchDir(dirId, child.type === "dir" ? -1 : 0, now);
    return { ...result, dir: toAttr(this.nodeRow(dirId)) };
  }

  /** Drops one name of `child` (its entry already deleted); deletes the node at nlink 0. */
  private dropName(child: NodeRow, now: Timespec): Unlinked {
    if (child.type === "dir" || child.nlink <= 1) {
      this.deleteNode(child.id);
      return { node: toAttr({ ...child, nlink: 0 }) };
    }
    return { node: toAttr(this.addNlink(child.id, -1, now)) };
  }

  private renameEntry(
    fromDirId: number,
    fromName: string,
    toDirId: number,
    toName: string,
    now: Timespec,
  ): { moved: FileAttr; replaced: Unlinked | null } {
    this.requireDir(fromDirId);
    this.requireDir(toDirId);
    const sourceId = this.childOf(fromDirId, fromName);
    if (sourceId === undefined) throw fsError("NotFound", `no entry '${fromName}' in directory ${fromDirId}`);
    const moved = this.nodeRow(sourceId);
    const targetId = this.childOf(toDirId, toName);
    if (targetId === moved.id) return { moved: toAttr(moved), replaced: null };

    const movesDir = moved.type === "dir";
    const crossesParents = fromDirId !== toDirId;
    if (movesDir && crossesParents && this.isWithin(toDirId, moved.id)) {
      throw fsError("Invalid", `cannot move directory ${moved.id} into its own subtree`);
    }

    let replaced: Unlinked | null = null;
    if (targetId !== undefined) {
      const victim = this.nodeRow(targetId);
      if (movesDir && victim.type !== "dir") throw fsError("NotDir", `cannot replace non-directory '${toName}' with a directory`);
      if (!movesDir && victim.type === "dir") throw fsError("IsDir", `cannot replace directory '${toName}' with a non-directory`);
      if (victim.type === "dir" && this.q.hasEntries.get(victim.id)) throw fsError("NotEmpty", `directory '${toName}' is not empty`);
      this.deleteEntry(toDirId, toName);
      replaced = this.dropName(victim, now);
      if (victim.type === "dir") this.touchDir(toDirId, -1, now);
    }

    this.deleteEntry(fromDirId, fromName);
    const parentsMove = movesDir && crossesParents;
    this.addEntry(toDirId, toName, moved.id, parentsMove ? 1 : 0, now);
    this.touchDir(fromDirId, parentsMove ? -1 : 0, now);
    const after = movesDir
      ? this.q.reparent.get(toDirId, now.sec, now.nsec, moved.id)!
      : this.q.addNlink.get(0, now.sec, now.nsec, moved.id)!;
    return { moved: toAttr(this.changed(after)), replaced };
  }

  /** Whether directory `id` is `ancestorId` or lies below it. */
  private isWithin(id: number, ancestorId: number): boolean {
    for (let current: number | null = id; current !== null; current = this.nodeRow(current).parent_id) {
      if (current === ancestorId) return true;
    }
    return false;
  }

  /**
   * A page of entries. Names come from the entries alone and attributes from the node cache,
   * which usually holds the children of a directory in use (materializing a joined row costs
   * more than the rest of the listing); a page whose children are mostly not cached is read
   * again joined with their nodes, which then fill the cache.
   */
  private listDir(dirId: number, afterCookie: number, limit: number): DirPage {
    this.requireDir(dirId);
    const take = Math.max(0, Math.floor(limit));
    const names = this.q.listNames.all(dirId, afterCookie, take + 1);
    const eof = names.length <= take;
    if (!eof) names.pop();
    let misses = 0;
    const cached = names.map((t) => {
      const row = this.nodeCache.get(t[2]);
      if (!row) misses++;
      return row;
    });
    if (misses > names.length / 4) {
      const rows = this.q.listDir.all(dirId, afterCookie, names.length);
      return {
        entries: rows.map((t) => {
          const row = nodeFromTuple(t, 2);
          this.nodeCache.set(row.id, row);
          return { name: t[0] as string, cookie: t[1] as number, attr: toAttr(row) };
        }),
        eof,
      };
    }
    return {
      entries: names.map((t, i) => ({ name: t[0], cookie: t[1], attr: toAttr(cached[i] ?? this.nodeRow(t[2])) })),
      eof,
    };
  }
}

function prepareStatements(db: Database.Database) {
  return {
    getNode: new NodeQuery<[number]>(db, `SELECT ${NODE_COLUMNS} FROM nodes WHERE id = ?`),
    lookupNode: new NodeQuery<[number, string]>(
      db,
      `SELECT ${NODE_COLUMNS_OF_N} FROM entries e JOIN nodes n ON n.id = e.child_id WHERE e.dir_id = ? AND e.name = ?`,
    ),
    getEntry: db.prepare(`SELECT child_id FROM entries WHERE dir_id = ? AND name = ?`) as Stmt<
      [number, string],
      { child_id: number }
    >,
    hasEntries: db.prepare(`SELECT 1 AS one FROM entries WHERE dir_id = ? LIMIT 1`) as Stmt<[number], { one: 1 }>,
    listNames: db
      .prepare(`SELECT name, cookie, child_id FROM entries WHERE dir_id = ? AND cookie > ? ORDER BY cookie LIMIT ?`)
      .raw(true) as Stmt<[number, number, number], [name: string, cookie: number, childId: number]>,
    listDir: db
      .prepare(
        `SELECT e.name, e.cookie, ${NODE_COLUMNS_OF_N} FROM entries e JOIN nodes n ON n.id = e.child_id
         WHERE e.dir_id = ? AND e.cookie > ? ORDER BY e.cookie LIMIT ?`,
      )
      .raw(true) as Stmt<[number, number, number], Cell[]>,
    insertNode: new NodeQuery<[Record<string, unknown>]>(
      db,
      `INSERT INTO nodes (type, mode, nlink, uid, gid, size, atime_sec, atime_nsec, mtime_sec, mtime_nsec,
         ctime_sec, ctime_nsec, birth_sec, birth_nsec, dos_attributes, content_id, rdev_major, rdev_minor,
         symlink_target, parent_id, share_root)
       VALUES (@type, @mode, @nlink, @uid, @gid, @size, @atimeSec, @atimeNsec, @mtimeSec, @mtimeNsec,
         @ctimeSec, @ctimeNsec, @birthSec, @birthNsec, @dosAttributes, @contentId, @rdevMajor, @rdevMinor,
         @symlinkTarget, @parentId, @shareRoot)
       RETURNING ${NODE_COLUMNS}`,
    ),
    setShareRoot: new NodeQuery<[number]>(db, `UPDATE nodes SET share_root = id WHERE id = ? RETURNING ${NODE_COLUMNS}`),
    deleteNode: db.prepare(`DELETE FROM nodes WHERE id = ?`) as Stmt<[number]>,
    insertEntry: db.prepare(`INSERT INTO entries (dir_id, name, child_id, cookie) VALUES (?, ?, ?, ?)`) as Stmt<
      [number, string, number, number]
    >,
    deleteEntry: db.prepare(`DELETE FROM entries WHERE dir_id = ? AND name = ?`) as Stmt<[number, string]>,
    /**
     * (count, nlink delta, now, now, dir, count): hands out the directory's next `count` cookies
     * (the first one follows the row) while setting its nlink and times.
     */
    takeCookies: new NodeQuery<[number, number, number, number, number, number, number, number]>(
      db,
      `UPDATE nodes SET next_cookie = next_cookie + ?, nlink = nlink + ?,
         mtime_sec = ?, mtime_nsec = ?, ctime_sec = ?, ctime_nsec = ?
       WHERE id = ? RETURNING ${NODE_COLUMNS}, next_cookie - ? AS first_cookie`,
    ),
    touchDir: new NodeQuery<[number, number, number, number, number, number]>(
      db,
      `UPDATE nodes SET nlink = nlink + ?, mtime_sec = ?, mtime_nsec = ?, ctime_sec = ?, ctime_nsec = ?
       WHERE id = ? RETURNING ${NODE_COLUMNS}`,
    ),
    addNlink: new NodeQuery<[number, number, number, number]>(
      db,
      `UPDATE nodes SET nlink = nlink + ?, ctime_sec = ?, ctime_nsec = ? WHERE id = ? RETURNING ${NODE_COLUMNS}`,
    ),
    /** A directory moved to another parent. */
    reparent: new NodeQuery<[number, number, number, number]>(
      db,
      `UPDATE nodes SET parent_id = ?, ctime_sec = ?, ctime_nsec = ? WHERE id = ? RETURNING ${NODE_COLUMNS}`,
    ),
    setAttr: new NodeQuery<[Record<string, unknown>]>(
      db,
      `UPDATE nodes SET mode = COALESCE(@mode, mode), uid = COALESCE(@uid, uid), gid = COALESCE(@gid, gid),
         size = COALESCE(@size, size),
         atime_sec = COALESCE(@atimeSec, atime_sec), atime_nsec = COALESCE(@atimeNsec, atime_nsec),
         mtime_sec = COALESCE(@mtimeSec, mtime_sec), mtime_nsec = COALESCE(@mtimeNsec, mtime_nsec),
         ctime_sec = COALESCE(@ctimeSec, ctime_sec), ctime_nsec = COALESCE(@ctimeNsec, ctime_nsec),
         birth_sec = COALESCE(@birthSec, birth_sec), birth_nsec = COALESCE(@birthNsec, birth_nsec),
         dos_attributes = COALESCE(@dosAttributes, dos_attributes)
       WHERE id = @id RETURNING ${NODE_COLUMNS}`,
    ),
    symlinkTarget: db.prepare(`SELECT symlink_target FROM nodes WHERE id = ?`) as Stmt<
      [number],
      { symlink_target: string | null }
    >,
    getRoot: db.prepare(`SELECT node_id FROM roots WHERE share = ?`) as Stmt<[string], { node_id: number }>,
    insertRoot: db.prepare(`INSERT INTO roots (share, node_id) VALUES (?, ?)`) as Stmt<[string, number]>,
    insertSecret: db.prepare(`INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)`) as Stmt<[string, Buffer]>,
    getSecret: db.prepare(`SELECT value FROM secrets WHERE name = ?`) as Stmt<[string], { value: Buffer }>,
    usage: db.prepare(
      `SELECT COUNT(*) AS files, COALESCE(SUM(CASE WHEN type = 'file' THEN size ELSE 0 END), 0) AS bytes FROM nodes`,
    ) as Stmt<[], StoreUsage>,
  };
}

/** Brings the schema to the newest version, one migration per transaction. */
function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`);
  const readVersion = () => (db.prepare(`SELECT version FROM schema_version`).get() as { version: number } | undefined)?.version;
  const step = db.transaction(() => {
    const version = readVersion();
    if (version === undefined) db.prepare(`INSERT INTO schema_version (version) VALUES (0)`).run();
    const current = version ?? 0;
    if (current > MIGRATIONS.length) {
      throw fsError("Io", `metadata database schema version ${current} is newer than this build (${MIGRATIONS.length})`);
    }
    if (current === MIGRATIONS.length) return false;
    db.exec(MIGRATIONS[current]!);
    db.prepare(`UPDATE schema_version SET version = ?`).run(current + 1);
    return true;
  });
  while (step.immediate()) {
    // One migration applied; look for the next.
  }
}

/** The entry caches' key: ids are digits only, so the first "/" ends the id whatever the name holds. */
function entryKey(dirId: number, name: string): string {
  return `${dirId}/${name}`;
}

/** Ids are the decimal form of the AUTOINCREMENT key; anything else names no file. */
function parseId(id: FileId): number {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) throw fsError("NotFound", `no file ${id}`);
  const n = Number(id);
  if (!Number.isSafeInteger(n)) throw fsError("NotFound", `no file ${id}`);
  return n;
}

function toAttr(r: NodeRow): FileAttr {
  return {
    id: String(r.id),
    ino: r.id,
    type: r.type,
    mode: r.mode,
    nlink: r.nlink,
    uid: r.uid,
    gid: r.gid,
    size: r.size,
    atime: { sec: r.atime_sec, nsec: r.atime_nsec },
    mtime: { sec: r.mtime_sec, nsec: r.mtime_nsec },
    ctime: { sec: r.ctime_sec, nsec: r.ctime_nsec },
    birthtime: { sec: r.birth_sec, nsec: r.birth_nsec },
    dosAttributes: r.dos_attributes,
    contentId: r.content_id,
    rdev: { major: r.rdev_major, minor: r.rdev_minor },
    shareRoot: r.share_root === null ? "" : String(r.share_root),
  };
}

/** SQLite failures as FsErrors: a full disk is NoSpace, a read-only database ReadOnly, the rest Io. */
function translate(err: unknown): Error {
  if (isFsError(err)) return err;
  const code = err instanceof Database.SqliteError ? err.code : "";
  if (code.startsWith("SQLITE_FULL")) return fsError("NoSpace", "metadata database is full", err);
  if (code.startsWith("SQLITE_READONLY")) return fsError("ReadOnly", "metadata database is read-only", err);
  return fsError("Io", `metadata database error: ${err instanceof Error ? err.message : String(err)}`, err);
}
