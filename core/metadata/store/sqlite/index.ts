import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { fsError, isFsError } from "../../../errors.js";
import type { MetadataStore } from "../../store.js";
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
}

interface EntryRow {
  child_id: number;
  cookie: number;
}

type ListedRow = NodeRow & { name: string; cookie: number };

/** Every node column a FileAttr needs, for SELECT and RETURNING lists. */
const NODE_COLUMNS = `id, type, mode, nlink, uid, gid, size, atime_sec, atime_nsec, mtime_sec, mtime_nsec,
  ctime_sec, ctime_nsec, content_id, rdev_major, rdev_minor`;
const NODE_COLUMNS_OF_N = NODE_COLUMNS.split(",")
  .map((c) => `n.${c.trim()}`)
  .join(", ");

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;
type Tx<F extends (...args: never[]) => unknown> = Database.Transaction<F>;

/**
 * A metadata store in one SQLite database (WAL, synchronous=NORMAL): every method is one
 * transaction that has committed to the WAL when its promise resolves, so what it reported
 * survives the process being killed. Node ids come from AUTOINCREMENT and are never reused.
 * Each directory hands out entry cookies from its own `next_cookie` counter.
 */
export class SqliteMetadataStore implements MetadataStore {
  readonly kind = "sqlite";

  private readonly q: ReturnType<typeof prepareStatements>;
  private readonly txRoot: Tx<(shareName: string, init: NewNode) => NodeRow>;
  private readonly txCreate: Tx<(dirId: number, name: string, node: NewNode, now: Timespec) => NodeRow>;
  private readonly txLink: Tx<(dirId: number, name: string, targetId: number, now: Timespec) => NodeRow>;
  private readonly txUnlink: Tx<(dirId: number, name: string, now: Timespec) => Unlinked>;
  private readonly txRename: Tx<
    (
      fromDirId: number,
      fromName: string,
      toDirId: number,
      toName: string,
      now: Timespec,
    ) => { moved: FileAttr; replaced: Unlinked | null }
  >;
  private readonly txReadDir: Tx<(dirId: number, afterCookie: number, limit: number) => DirPage>;

  private constructor(private readonly db: Database.Database) {
    this.q = prepareStatements(db);
    this.txRoot = db.transaction((shareName: string, init: NewNode) => this.createRoot(shareName, init));
    this.txCreate = db.transaction((dirId: number, name: string, node: NewNode, now: Timespec) =>
      this.createNode(dirId, name, node, now),
    );
    this.txLink = db.transaction((dirId: number, name: string, targetId: number, now: Timespec) =>
      this.linkNode(dirId, name, targetId, now),
    );
    this.txUnlink = db.transaction((dirId: number, name: string, now: Timespec) => this.unlinkName(dirId, name, now));
    this.txRename = db.transaction(
      (fromDirId: number, fromName: string, toDirId: number, toName: string, now: Timespec) =>
        this.renameEntry(fromDirId, fromName, toDirId, toName, now),
    );
    // One read transaction, so that the page and its eof flag describe the same moment.
    this.txReadDir = db.transaction((dirId: number, afterCookie: number, limit: number) =>
      this.listDir(dirId, afterCookie, limit),
    );
  }

  static open(options: SqliteMetadataStoreOptions): SqliteMetadataStore {
    const inMemory = options.path === ":memory:" || options.path === "";
    if (!inMemory) mkdirSync(dirname(options.path), { recursive: true });
    const db = new Database(options.path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
      migrate(db);
      return new SqliteMetadataStore(db);
    } catch (err) {
      db.close();
      throw translate(err);
    }
  }

  async getOrCreateRoot(shareName: string, init: NewNode): Promise<FileAttr> {
    return this.guard(() => toAttr(this.txRoot.immediate(shareName, init)));
  }

  async get(id: FileId): Promise<FileAttr> {
    return this.guard(() => toAttr(this.nodeRow(parseId(id))));
  }

  async lookup(dirId: FileId, name: string): Promise<FileAttr> {
    return this.guard(() => {
      const dir = parseId(dirId);
      const row = this.q.lookupNode.get(dir, name);
      if (row) return toAttr(row);
      this.requireDir(dir);
      throw fsError("NotFound", `no entry '${name}' in directory ${dirId}`);
    });
  }

  async create(dirId: FileId, name: string, node: NewNode, now: Timespec): Promise<FileAttr> {
    return this.guard(() => toAttr(this.txCreate.immediate(parseId(dirId), name, node, now)));
  }

  async link(dirId: FileId, name: string, targetId: FileId, now: Timespec): Promise<FileAttr> {
    return this.guard(() => toAttr(this.txLink.immediate(parseId(dirId), name, parseId(targetId), now)));
  }

  async unlink(dirId: FileId, name: string, now: Timespec): Promise<Unlinked> {
    return this.guard(() => this.txUnlink.immediate(parseId(dirId), name, now));
  }

  async rename(
    fromDirId: FileId,
    fromName: string,
    toDirId: FileId,
    toName: string,
    now: Timespec,
  ): Promise<{ moved: FileAttr; replaced: Unlinked | null }> {
    return this.guard(() => this.txRename.immediate(parseId(fromDirId), fromName, parseId(toDirId), toName, now));
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
      });
      if (!row) throw fsError("NotFound", `no file ${id}`);
      return toAttr(row);
    });
  }

  async readDir(dirId: FileId, afterCookie: number, limit: number): Promise<DirPage> {
    return this.guard(() => this.txReadDir(parseId(dirId), afterCookie, limit));
  }

  async parentOf(dirId: FileId): Promise<FileAttr> {
    return this.guard(() => {
      const dir = this.requireDir(parseId(dirId));
      const parent = this.q.parentNode.get(dir.id);
      // Only roots have no entry naming them: a root is its own parent.
      return toAttr(parent ?? dir);
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

  async usage(): Promise<StoreUsage> {
    return this.guard(() => this.q.usage.get()!);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
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

  private nodeRow(id: number): NodeRow {
    const row = this.q.getNode.get(id);
    if (!row) throw fsError("NotFound", `no file ${id}`);
    return row;
  }

  private requireDir(id: number): NodeRow {
    const row = this.nodeRow(id);
    if (row.type !== "dir") throw fsError("NotDir", `${id} is not a directory`);
    return row;
  }

  private entry(dirId: number, name: string): EntryRow | undefined {
    return this.q.getEntry.get(dirId, name);
  }

  private insertNode(node: NewNode): NodeRow {
    return this.q.insertNode.get({
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
      contentId: node.contentId,
      rdevMajor: node.rdev.major,
      rdevMinor: node.rdev.minor,
      symlinkTarget: node.type === "symlink" ? (node.symlinkTarget ?? "") : null,
    })!;
  }

  /** Adds an entry with the directory's next cookie, adjusts its nlink and sets its times. */
  private addEntry(dirId: number, name: string, childId: number, nlinkDelta: number, now: Timespec): void {
    const { cookie } = this.q.takeCookie.get(nlinkDelta, now.sec, now.nsec, now.sec, now.nsec, dirId)!;
    this.q.insertEntry.run(dirId, name, childId, cookie);
  }

  private createRoot(shareName: string, init: NewNode): NodeRow {
    const existing = this.q.getRoot.get(shareName);
    if (existing) return this.nodeRow(existing.node_id);
    if (init.type !== "dir") throw fsError("Invalid", `root of share ${shareName} must be a directory`);
    const root = this.insertNode(init);
    this.q.insertRoot.run(shareName, root.id);
    return root;
  }

  private createNode(dirId: number, name: string, node: NewNode, now: Timespec): NodeRow {
    this.requireDir(dirId);
    if (this.entry(dirId, name)) throw fsError("Exists", `'${name}' exists in directory ${dirId}`);
    const child = this.insertNode(node);
    this.addEntry(dirId, name, child.id, node.type === "dir" ? 1 : 0, now);
    return child;
  }

  private linkNode(dirId: number, name: string, targetId: number, now: Timespec): NodeRow {
    this.requireDir(dirId);
    const target = this.nodeRow(targetId);
    if (target.type === "dir") throw fsError("IsDir", `cannot hard-link directory ${targetId}`);
    if (this.entry(dirId, name)) throw fsError("Exists", `'${name}' exists in directory ${dirId}`);
    this.addEntry(dirId, name, targetId, 0, now);
    return this.q.addNlink.get(1, now.sec, now.nsec, targetId)!;
  }

  private unlinkName(dirId: number, name: string, now: Timespec): Unlinked {
    this.requireDir(dirId);
    const entry = this.entry(dirId, name);
    if (!entry) throw fsError("NotFound", `no entry '${name}' in directory ${dirId}`);
    const child = this.nodeRow(entry.child_id);
    if (child.type === "dir" && this.q.hasEntries.get(child.id)) {
      throw fsError("NotEmpty", `directory '${name}' is not empty`);
    }
    this.q.deleteEntry.run(dirId, name);
    const result = this.dropName(child, now);
    this.q.touchDir.run(child.type === "dir" ? -1 : 0, now.sec, now.nsec, now.sec, now.nsec, dirId);
    return result;
  }

  /** Drops one name of `child` (its entry already deleted); deletes the node at nlink 0. */
  private dropName(child: NodeRow, now: Timespec): Unlinked {
    if (child.type === "dir" || child.nlink <= 1) {
      this.q.deleteNode.run(child.id);
      return { node: toAttr({ ...child, nlink: 0 }) };
    }
    return { node: toAttr(this.q.addNlink.get(-1, now.sec, now.nsec, child.id)!) };
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
    const source = this.entry(fromDirId, fromName);
    if (!source) throw fsError("NotFound", `no entry '${fromName}' in directory ${fromDirId}`);
    const moved = this.nodeRow(source.child_id);
    const target = this.entry(toDirId, toName);
    if (target?.child_id === moved.id) return { moved: toAttr(moved), replaced: null };

    const movesDir = moved.type === "dir";
    const crossesParents = fromDirId !== toDirId;
    if (movesDir && crossesParents && this.isWithin(toDirId, moved.id)) {
      throw fsError("Invalid", `cannot move directory ${moved.id} into its own subtree`);
    }

    let replaced: Unlinked | null = null;
    if (target) {
      const victim = this.nodeRow(target.child_id);
      if (movesDir && victim.type !== "dir") throw fsError("NotDir", `cannot replace non-directory '${toName}' with a directory`);
      if (!movesDir && victim.type === "dir") throw fsError("IsDir", `cannot replace directory '${toName}' with a non-directory`);
      if (victim.type === "dir" && this.q.hasEntries.get(victim.id)) throw fsError("NotEmpty", `directory '${toName}' is not empty`);
      this.q.deleteEntry.run(toDirId, toName);
      replaced = this.dropName(victim, now);
      if (victim.type === "dir") this.q.touchDir.run(-1, now.sec, now.nsec, now.sec, now.nsec, toDirId);
    }

    this.q.deleteEntry.run(fromDirId, fromName);
    const parentsMove = movesDir && crossesParents;
    this.addEntry(toDirId, toName, moved.id, parentsMove ? 1 : 0, now);
    this.q.touchDir.run(parentsMove ? -1 : 0, now.sec, now.nsec, now.sec, now.nsec, fromDirId);
    return { moved: toAttr(this.q.addNlink.get(0, now.sec, now.nsec, moved.id)!), replaced };
  }

  /** Whether directory `id` is `ancestorId` or lies below it. */
  private isWithin(id: number, ancestorId: number): boolean {
    let current: number | undefined = id;
    while (current !== undefined) {
      if (current === ancestorId) return true;
      current = this.q.parentId.get(current)?.dir_id;
    }
    return false;
  }

  private listDir(dirId: number, afterCookie: number, limit: number): DirPage {
    this.requireDir(dirId);
    const take = Math.max(0, Math.floor(limit));
    const rows = this.q.listDir.all(dirId, afterCookie, take + 1);
    const eof = rows.length <= take;
    if (!eof) rows.pop();
    return { entries: rows.map((r) => ({ name: r.name, cookie: r.cookie, attr: toAttr(r) })), eof };
  }
}

function prepareStatements(db: Database.Database) {
  return {
    getNode: db.prepare(`SELECT ${NODE_COLUMNS} FROM nodes WHERE id = ?`) as Stmt<[number], NodeRow>,
    lookupNode: db.prepare(
      `SELECT ${NODE_COLUMNS_OF_N} FROM entries e JOIN nodes n ON n.id = e.child_id WHERE e.dir_id = ? AND e.name = ?`,
    ) as Stmt<[number, string], NodeRow>,
    getEntry: db.prepare(`SELECT child_id, cookie FROM entries WHERE dir_id = ? AND name = ?`) as Stmt<
      [number, string],
      EntryRow
    >,
    hasEntries: db.prepare(`SELECT 1 AS one FROM entries WHERE dir_id = ? LIMIT 1`) as Stmt<[number], { one: 1 }>,
    parentId: db.prepare(`SELECT dir_id FROM entries WHERE child_id = ? LIMIT 1`) as Stmt<[number], { dir_id: number }>,
    parentNode: db.prepare(
      `SELECT ${NODE_COLUMNS_OF_N} FROM entries e JOIN nodes n ON n.id = e.dir_id WHERE e.child_id = ? LIMIT 1`,
    ) as Stmt<[number], NodeRow>,
    listDir: db.prepare(
      `SELECT e.name, e.cookie, ${NODE_COLUMNS_OF_N} FROM entries e JOIN nodes n ON n.id = e.child_id
       WHERE e.dir_id = ? AND e.cookie > ? ORDER BY e.cookie LIMIT ?`,
    ) as Stmt<[number, number, number], ListedRow>,
    insertNode: db.prepare(
      `INSERT INTO nodes (type, mode, nlink, uid, gid, size, atime_sec, atime_nsec, mtime_sec, mtime_nsec,
         ctime_sec, ctime_nsec, content_id, rdev_major, rdev_minor, symlink_target)
       VALUES (@type, @mode, @nlink, @uid, @gid, @size, @atimeSec, @atimeNsec, @mtimeSec, @mtimeNsec,
         @ctimeSec, @ctimeNsec, @contentId, @rdevMajor, @rdevMinor, @symlinkTarget)
       RETURNING ${NODE_COLUMNS}`,
    ) as Stmt<[Record<string, unknown>], NodeRow>,
    deleteNode: db.prepare(`DELETE FROM nodes WHERE id = ?`) as Stmt<[number]>,
    insertEntry: db.prepare(`INSERT INTO entries (dir_id, name, child_id, cookie) VALUES (?, ?, ?, ?)`) as Stmt<
      [number, string, number, number]
    >,
    deleteEntry: db.prepare(`DELETE FROM entries WHERE dir_id = ? AND name = ?`) as Stmt<[number, string]>,
    /** Hands out the directory's next cookie while setting its nlink and times. */
    takeCookie: db.prepare(
      `UPDATE nodes SET next_cookie = next_cookie + 1, nlink = nlink + ?,
         mtime_sec = ?, mtime_nsec = ?, ctime_sec = ?, ctime_nsec = ?
       WHERE id = ? RETURNING next_cookie - 1 AS cookie`,
    ) as Stmt<[number, number, number, number, number, number], { cookie: number }>,
    touchDir: db.prepare(
      `UPDATE nodes SET nlink = nlink + ?, mtime_sec = ?, mtime_nsec = ?, ctime_sec = ?, ctime_nsec = ? WHERE id = ?`,
    ) as Stmt<[number, number, number, number, number, number]>,
    addNlink: db.prepare(
      `UPDATE nodes SET nlink = nlink + ?, ctime_sec = ?, ctime_nsec = ? WHERE id = ? RETURNING ${NODE_COLUMNS}`,
    ) as Stmt<[number, number, number, number], NodeRow>,
    setAttr: db.prepare(
      `UPDATE nodes SET mode = COALESCE(@mode, mode), uid = COALESCE(@uid, uid), gid = COALESCE(@gid, gid),
         size = COALESCE(@size, size),
         atime_sec = COALESCE(@atimeSec, atime_sec), atime_nsec = COALESCE(@atimeNsec, atime_nsec),
         mtime_sec = COALESCE(@mtimeSec, mtime_sec), mtime_nsec = COALESCE(@mtimeNsec, mtime_nsec),
         ctime_sec = COALESCE(@ctimeSec, ctime_sec), ctime_nsec = COALESCE(@ctimeNsec, ctime_nsec)
       WHERE id = @id RETURNING ${NODE_COLUMNS}`,
    ) as Stmt<[Record<string, unknown>], NodeRow>,
    symlinkTarget: db.prepare(`SELECT symlink_target FROM nodes WHERE id = ?`) as Stmt<
      [number],
      { symlink_target: string | null }
    >,
    getRoot: db.prepare(`SELECT node_id FROM roots WHERE share = ?`) as Stmt<[string], { node_id: number }>,
    insertRoot: db.prepare(`INSERT INTO roots (share, node_id) VALUES (?, ?)`) as Stmt<[string, number]>,
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
    contentId: r.content_id,
    rdev: { major: r.rdev_major, minor: r.rdev_minor },
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
