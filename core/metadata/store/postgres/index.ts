import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import type { CustomTypesConfig, PoolClient, PoolConfig } from "pg";
import { fsError, isFsError } from "../../../errors.js";
import type { Logger } from "../../../util/logger.js";
import type { Created, MetadataStore, NewEntry, Removed, UnlinkOnly } from "../../store.js";
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
import { MIGRATIONS, MIGRATION_LOCK } from "./schema.js";
import {
  BEGIN_WITH_DIRECTORY_MOVE_LOCK,
  CHECKED_PAYLOAD,
  LOCK_IDS,
  NEW_NODE_PARAMS,
  NODE_WIDTH,
  SQL,
  STATUS,
  attrFromRow,
  type CheckedStatus,
  type Row,
  type Statement,
} from "./sql.js";
import { NO_CHANGE, UsageCache } from "./usage-cache.js";

export interface PostgresMetadataStoreOptions {
  /** `postgresql://user:password@host:port/database?…`; what it names wins over the fields below. */
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** Most connections this store holds at once (default 10). */
  maxConns?: number;
  /** Connect over TLS, verifying the server's certificate. */
  ssl?: boolean;
  /** How long opening a connection may take before it fails (default 10 s). */
  connectTimeoutMs?: number;
  /** How long a usage() count is reused (default 2 s); this server's own writes always show at once. */
  usageCacheMs?: number;
  /** Where to report a pooled connection that failed while idle (default: nowhere). */
  logger?: Logger;
}

/** How often a transaction runs again after a deadlock, serialization failure or a change under it. */
const MAX_ATTEMPTS = 8;
const DEFAULT_MAX_CONNS = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_USAGE_CACHE_MS = 2_000;
const SECRET_BYTES = 32;
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

/** bigint columns (ino, sizes, times, cookies) as numbers; every value we store fits. */
const INT8_OID = 20;
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as CustomTypesConfig["getTypeParser"],
};

/** Thrown inside a transaction when what it read before locking changed before it locked: run it again. */
class Restart extends Error {}

/** One pooled connection for the duration of one store call, and whether it is inside a transaction. */
class Session {
  inTransaction = false;

  constructor(readonly client: PoolClient) {}

  async query(statement: Statement, values: unknown[]): Promise<Row[]> {
    const result = await this.client.query({ name: statement.name, text: statement.text, values, rowMode: "array" });
    return result.rows as Row[];
  }

  /** Opens a transaction, holding the directory-move lock from the start when asked: one round trip. */
  async begin(withDirectoryMoveLock = false): Promise<void> {
    // Set first: should BEGIN fail halfway, a ROLLBACK outside a transaction only warns.
    this.inTransaction = true;
    await this.client.query(withDirectoryMoveLock ? BEGIN_WITH_DIRECTORY_MOVE_LOCK : "BEGIN");
  }
}

/**
 * A metadata store in a PostgreSQL database that several DittoFS servers may share. Nothing
 * about nodes or entries is cached in memory: every call reads and writes the database, and
 * correctness between servers comes from the database alone.
 *
 * - File ids are random UUIDs; `ino` comes from an identity column, so neither is ever reused.
 * - Each call is one statement, one round trip, one implicit transaction (READ COMMITTED);
 *   getOrCreateRoot takes two when it creates the root.
 * - create's UPDATE of the directory row takes the row's lock and its next cookie, so cookies
 *   rise in commit order and are never handed out twice.
 * - createMany, link, unlink and rename are checked writes (see sql.ts): they read, lock the
 *   rows they change in id order (no deadlocks between them), and write only if those rows did
 *   not change since they were read. If one did, the call runs again in a transaction that
 *   takes the locks first (four round trips more). A directory moving to another parent runs in
 *   a transaction holding the directory-move lock (four round trips in all).
 * - Calls start over on a deadlock or serialization failure, a few times.
 * - Every change to a directory's entries updates that directory's row, so holding the row lock
 *   of a directory freezes its entries, and an unchanged row means unchanged entries.
 */
export class PostgresMetadataStore implements MetadataStore {
  readonly kind = "postgres";

  private closed = false;
  private readonly usageCache: UsageCache;

  private constructor(
    private readonly pool: pg.Pool,
    usageCacheMs: number,
  ) {
    this.usageCache = new UsageCache(usageCacheMs);
  }

  /**
   * Connects, brings the schema up to date and returns the store. Fails with FsError("Io")
   * naming the server and the reason (never the password) when the server cannot be reached,
   * the database is missing or the login is refused.
   */
  static async open(options: PostgresMetadataStoreOptions): Promise<PostgresMetadataStore> {
    const config: PoolConfig = {
      connectionString: options.connectionString,
      host: options.host,
      port: options.port,
      database: options.database,
      user: options.user,
      password: options.password,
      ssl: options.ssl,
      max: options.maxConns ?? DEFAULT_MAX_CONNS,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      application_name: "dittofs",
      keepAlive: true,
      // Our transactions last milliseconds; one left open by a stuck server would hold row
      // locks that every other server waits on, so PostgreSQL ends it.
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      types: TYPES,
    };
    const where = describeServer(config);
    const pool = new pg.Pool(config);
    // A pooled connection that dies while idle is dropped by the pool; without a listener its
    // 'error' event would end the process.
    pool.on("error", (err) => options.logger?.warn({ server: where, reason: reasonOf(err) }, "idle PostgreSQL connection failed"));

    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => {});
      throw fsError("Io", `cannot connect to PostgreSQL at ${where}: ${reasonOf(err)}`, err);
    }
    try {
      await migrate(client);
      client.release();
    } catch (err) {
      client.release(true);
      await pool.end().catch(() => {});
      if (isFsError(err)) throw err;
      throw fsError("Io", `cannot prepare the metadata schema in PostgreSQL at ${where}: ${reasonOf(err)}`, err);
    }
    return new PostgresMetadataStore(pool, options.usageCacheMs ?? DEFAULT_USAGE_CACHE_MS);
  }

  async getOrCreateRoot(shareName: string, init: NewNode): Promise<FileAttr> {
    return this.usageCache.write(
      () =>
        this.session(async (s) => {
          for (;;) {
            const [existing] = await s.query(SQL.getRoot, [shareName]);
            if (existing) return { root: attrFromRow(existing)!, created: false };
            if (init.type !== "dir") throw fsError("Invalid", `root of share ${shareName} must be a directory`);
            const [created] = await s.query(SQL.insertRoot, [shareName, ...newNodeValues(init, null)]);
            // No row: another server created this share's root just now; read theirs.
            if (created) return { root: attrFromRow(created)!, created: true };
          }
        }),
      ({ created }) => (created ? { files: 1, bytes: 0 } : NO_CHANGE),
    ).then(({ root }) => root);
  }

  async get(id: FileId): Promise<FileAttr> {
    const uuid = parseId(id);
    return this.session(async (s) => {
      const [row] = await s.query(SQL.get, [uuid]);
      if (!row) throw fsError("NotFound", `no file ${id}`);
      return attrFromRow(row)!;
    });
  }

  async lookup(dirId: FileId, name: string): Promise<FileAttr> {
    const dir = parseId(dirId);
    return this.session(async (s) => {
      const [row] = await s.query(SQL.lookup, [dir, name]);
      requireDir(row?.[0], dirId);
      const attr = attrFromRow(row!, 1);
      if (!attr) throw fsError("NotFound", `no entry '${name}' in directory ${dirId}`);
      return attr;
    });
  }

  async lookupIn(dirId: FileId, name: string): Promise<{ dir: FileAttr; entry: FileAttr | null }> {
    const dir = parseId(dirId);
    return this.session(async (s) => {
      const [row] = await s.query(SQL.lookupIn, [dir, name]);
      if (!row) throw fsError("NotFound", `no file ${dirId}`);
      return { dir: attrFromRow(row)!, entry: attrFromRow(row, NODE_WIDTH) };
    });
  }

  async create(dirId: FileId, name: string, node: NewNode, now: Timespec): Promise<Created> {
    const dir = parseId(dirId);
    return this.usageCache.write(
      () =>
        this.session(async (s) => {
          const isDir = node.type === "dir";
          let row: Row;
          try {
            [row] = (await s.query(SQL.create, [dir, name, isDir ? 1 : 0, now.sec, now.nsec, ...newNodeValues(node, isDir ? dir : null)])) as [Row];
          } catch (err) {
            throw nameTaken(err, name, dirId);
          }
          const created = attrFromRow(row, 1);
          if (created) return { attr: created, dir: attrFromRow(row, 1 + NODE_WIDTH)! };
          requireDir(row[0], dirId);
          // A directory when the statement began, gone when it came to update it.
          throw fsError("NotFound", `no directory ${dirId}`);
        }),
      ({ attr }) => ({ files: 1, bytes: fileBytes(attr) }),
    );
  }

  async createMany(dirId: FileId, entries: readonly NewEntry[], now: Timespec): Promise<Array<FileAttr | null>> {
    const dir = parseId(dirId);
    const names = entries.map((entry) => entry.name);
    // Column-wise, as SQL.createMany takes them; ids are drawn once, so a rerun reuses them.
    const columns: unknown[][] = Array.from({ length: NEW_NODE_PARAMS }, () => []);
    for (const { node } of entries) newNodeValues(node, dir).forEach((value, i) => columns[i]!.push(value));
    return this.usageCache.write(
      async () => {
        const rows = await this.checkedWrite(SQL.createMany, () => [dir, now.sec, now.nsec, names, ...columns]);
        const status = rows[0]![STATUS] as CheckedStatus;
        if (status !== "ok") throw dirError(status, dirId);
        const result: Array<FileAttr | null> = entries.map(() => null);
        for (const row of rows) {
          const position = row[CHECKED_PAYLOAD] as number | null;
          if (position !== null) result[position - 1] = attrFromRow(row, CHECKED_PAYLOAD + 1);
        }
        return result;
      },
      (created) => {
        const usage = { files: 0, bytes: 0 };
        for (const attr of created) {
          if (!attr) continue;
          usage.files += 1;
          usage.bytes += fileBytes(attr);
        }
        return usage;
      },
    );
  }

  async link(dirId: FileId, name: string, targetId: FileId, now: Timespec): Promise<FileAttr> {
    const dir = parseId(dirId);
    const target = parseId(targetId);
    return this.usageCache.write(async () => {
      const [row] = await this.checkedWrite(SQL.link, () => [dir, name, target, now.sec, now.nsec], (err) => nameTaken(err, name, dirId));
      const status = row![STATUS] as CheckedStatus;
      switch (status) {
        case "ok":
          return attrFromRow(row!, CHECKED_PAYLOAD)!;
        case "no_target":
          throw fsError("NotFound", `no file ${targetId}`);
        case "target_is_dir":
          throw fsError("IsDir", `cannot hard-link directory ${targetId}`);
        default:
          throw dirError(status, dirId);
      }
    }, () => NO_CHANGE);
  }

  async unlink(dirId: FileId, name: string, now: Timespec, only?: UnlinkOnly): Promise<Removed> {
    const dir = parseId(dirId);
    return this.usageCache.write(async () => {
      const [row] = await this.checkedWrite(SQL.unlink, () => [dir, name, now.sec, now.nsec, only ?? null]);
      const status = row![STATUS] as CheckedStatus;
      switch (status) {
        case "ok":
          return { ...unlinked(row!, CHECKED_PAYLOAD)!, dir: attrFromRow(row!, CHECKED_PAYLOAD + 1 + NODE_WIDTH)! };
        case "no_entry":
          throw fsError("NotFound", `no entry '${name}' in directory ${dirId}`);
        case "target_is_dir":
          throw fsError("IsDir", `'${name}' is a directory`);
        case "target_not_dir":
          throw fsError("NotDir", `'${name}' is not a directory`);
        case "not_empty":
          throw fsError("NotEmpty", `directory '${name}' is not empty`);
        default:
          throw dirError(status, dirId);
      }
    }, removedUsage);
  }

  async rename(
    fromDirId: FileId,
    fromName: string,
    toDirId: FileId,
    toName: string,
    now: Timespec,
  ): Promise<{ moved: FileAttr; replaced: Unlinked | null }> {
    const fromDir = parseId(fromDirId);
    const toDir = parseId(toDirId);
    return this.usageCache.write(
      async () => {
        const [row] = await this.checkedWrite(SQL.rename, (moveLocked) => [fromDir, fromName, toDir, toName, now.sec, now.nsec, moveLocked]);
        const status = row![STATUS] as CheckedStatus;
        switch (status) {
          case "ok":
          case "same":
            return { moved: attrFromRow(row!, CHECKED_PAYLOAD)!, replaced: unlinked(row!, CHECKED_PAYLOAD + NODE_WIDTH) };
          case "no_from_dir":
            throw dirError("no_dir", fromDirId);
          case "from_not_dir":
            throw dirError("not_dir", fromDirId);
          case "no_to_dir":
            throw dirError("no_dir", toDirId);
          case "to_not_dir":
            throw dirError("not_dir", toDirId);
          case "no_entry":
            throw fsError("NotFound", `no entry '${fromName}' in directory ${fromDirId}`);
          case "into_itself":
            throw fsError("Invalid", `cannot move directory '${fromName}' into its own subtree`);
          case "target_not_dir":
            throw fsError("NotDir", `cannot replace non-directory '${toName}' with a directory`);
          case "target_is_dir":
            throw fsError("IsDir", `cannot replace directory '${toName}' with a non-directory`);
          case "not_empty":
            throw fsError("NotEmpty", `directory '${toName}' is not empty`);
          default:
            throw unexpected(status);
        }
      },
      ({ replaced }) => (replaced ? removedUsage(replaced) : NO_CHANGE),
    );
  }

  async setAttr(id: FileId, changes: AttrChanges): Promise<FileAttr> {
    const uuid = parseId(id);
    const values = [
      uuid,
      changes.mode ?? null,
      changes.uid ?? null,
      changes.gid ?? null,
      changes.size ?? null,
      changes.atime?.sec ?? null,
      changes.atime?.nsec ?? null,
      changes.mtime?.sec ?? null,
      changes.mtime?.nsec ?? null,
      changes.ctime?.sec ?? null,
      changes.ctime?.nsec ?? null,
      changes.birthtime?.sec ?? null,
      changes.birthtime?.nsec ?? null,
      changes.dosAttributes ?? null,
    ];
    return this.usageCache.write(
      () =>
        this.session(async (s) => {
          const [row] = await s.query(SQL.setAttr, values);
          if (!row) throw fsError("NotFound", `no file ${id}`);
          return { attr: attrFromRow(row)!, sizeBefore: row[NODE_WIDTH] as number };
        }),
      ({ attr, sizeBefore }) => ({ files: 0, bytes: attr.type === "file" ? attr.size - sizeBefore : 0 }),
    ).then(({ attr }) => attr);
  }

  async readDir(dirId: FileId, afterCookie: number, limit: number): Promise<DirPage> {
    const dir = parseId(dirId);
    const take = Math.max(0, Math.floor(limit));
    return this.session(async (s) => {
      // One row more than asked tells whether the page ends the listing.
      const rows = await s.query(SQL.readDir, [dir, Math.max(0, Math.floor(afterCookie)), take + 1]);
      requireDir(rows[0]?.[0], dirId);
      const entries: DirEntry[] = [];
      for (const row of rows) {
        const attr = attrFromRow(row, 3);
        if (attr) entries.push({ name: row[1] as string, cookie: row[2] as number, attr });
      }
      const eof = entries.length <= take;
      if (!eof) entries.pop();
      return { entries, eof };
    });
  }

  async parentOf(dirId: FileId): Promise<FileAttr> {
    const dir = parseId(dirId);
    return this.session(async (s) => {
      const [row] = await s.query(SQL.parentOf, [dir]);
      requireDir(row?.[0], dirId);
      return attrFromRow(row!, 1)!;
    });
  }

  async readLink(id: FileId): Promise<string> {
    const uuid = parseId(id);
    return this.session(async (s) => {
      const [row] = await s.query(SQL.readLink, [uuid]);
      if (!row) throw fsError("NotFound", `no file ${id}`);
      if (row[0] !== "symlink") throw fsError("Invalid", `${id} is not a symbolic link`);
      return (row[1] as string | null) ?? "";
    });
  }

  async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.session(async (s) => (await s.query(SQL.acquireLease, [key, holder, ttlMs])).length > 0);
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    await this.session((s) => s.query(SQL.releaseLease, [key, holder]));
  }

  /** Every statement commits durably (synchronous_commit, the server default): nothing to sync. */
  async sync(): Promise<void> {}

  async secret(name: string): Promise<Buffer> {
    return this.session(async (s) => {
      for (;;) {
        const [row] = await s.query(SQL.secret, [name, randomBytes(SECRET_BYTES)]);
        if (row) return row[0] as Buffer;
      }
    });
  }

  async usage(): Promise<StoreUsage> {
    return this.usageCache.get(() =>
      this.session(async (s) => {
        const [[files, bytes]] = (await s.query(SQL.usage, [])) as [[number, number]];
        return { files, bytes };
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * Runs a checked write (see sql.ts): first alone, one round trip. When its rows changed under
   * it (status 'restart'), again in a transaction that locks the rows it named before it runs;
   * when it moves a directory to another parent (status 'move_lock'), again in a transaction
   * holding the directory-move lock. `values` gets whether that lock is held. Returns the rows
   * of the run that did not ask to run again; `onError` may turn the statement's error into another.
   */
  private async checkedWrite(
    statement: Statement,
    values: (moveLocked: boolean) => unknown[],
    onError: (err: unknown) => unknown = (err) => err,
  ): Promise<Row[]> {
    let lockFirst: string[] | null = null;
    let moveLocked = false;
    return this.session(async (s) => {
      if (moveLocked || lockFirst) await s.begin(moveLocked);
      if (lockFirst) await s.query(SQL.lockNodes, [lockFirst]);
      let rows: Row[];
      try {
        rows = await s.query(statement, values(moveLocked));
      } catch (err) {
        throw onError(err);
      }
      const status = rows[0]![STATUS] as CheckedStatus;
      if (status === "restart") lockFirst = rows[0]![LOCK_IDS] as string[];
      else if (status === "move_lock") moveLocked = true;
      else return rows;
      throw new Restart();
    });
  }

  /**
   * Runs one store call on one pooled connection: commits the transaction it began, rolls it
   * back on failure, and runs the call again after a Restart, a deadlock or a serialization
   * failure. Everything that fails leaves as an FsError.
   */
  private async session<T>(work: (s: Session) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw fsError("Io", "metadata store is closed");
      let client: PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw fsError("Io", `cannot connect to PostgreSQL: ${reasonOf(err)}`, err);
      }
      const s = new Session(client);
      let broken: Error | undefined;
      try {
        const result = await work(s);
        if (s.inTransaction) await client.query("COMMIT");
        return result;
      } catch (err) {
        if (!(err instanceof pg.DatabaseError || err instanceof Restart || isFsError(err))) broken = err as Error;
        if (s.inTransaction && !broken) {
          await client.query("ROLLBACK").catch((rollbackErr: unknown) => (broken = rollbackErr as Error));
        }
        if (attempt < MAX_ATTEMPTS && isRetryable(err)) {
          if (!(err instanceof Restart)) await sleep(Math.random() * 5 * attempt);
          continue;
        }
        throw translate(err);
      } finally {
        // A connection that failed mid-call is closed rather than handed to the next caller.
        client.release(broken);
      }
    }
  }
}

/** Brings the schema to the newest version in one transaction, under a lock all servers share. */
async function migrate(client: PoolClient): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM schema_version`);
    const from = rows[0]?.version ?? 0;
    if (from > MIGRATIONS.length) {
      throw fsError("Io", `metadata database schema version ${from} is newer than this build (${MIGRATIONS.length})`);
    }
    for (let version = from; version < MIGRATIONS.length; version++) await client.query(MIGRATIONS[version]!);
    if (rows.length === 0) await client.query(`INSERT INTO schema_version (version) VALUES ($1)`, [MIGRATIONS.length]);
    else if (from < MIGRATIONS.length) await client.query(`UPDATE schema_version SET version = $1`, [MIGRATIONS.length]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** The values of a new node for SQL.insertRoot, SQL.create and SQL.createMany, in INSERT_NODE_COLUMNS order. */
function newNodeValues(node: NewNode, parentId: string | null): unknown[] {
  return [
    randomUUID(),
    node.type,
    node.mode,
    node.type === "dir" ? 2 : 1,
    node.uid,
    node.gid,
    node.size,
    node.atime.sec,
    node.atime.nsec,
    node.mtime.sec,
    node.mtime.nsec,
    node.ctime.sec,
    node.ctime.nsec,
    node.contentId,
    node.rdev.major,
    node.rdev.minor,
    node.type === "symlink" ? (node.symlinkTarget ?? "") : null,
    node.type === "dir" ? parentId : null,
    (node.birthtime ?? node.ctime).sec,
    (node.birthtime ?? node.ctime).nsec,
    node.dosAttributes ?? 0,
  ];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids are UUIDs in PostgreSQL's own spelling; anything else names no file. */
function parseId(id: FileId): string {
  if (!UUID.test(id)) throw fsError("NotFound", `no file ${id}`);
  return id;
}

/** Throws NotFound for a missing directory (no type) and NotDir for another type. */
function requireDir(type: unknown, dirId: FileId): void {
  if (type === undefined || type === null) throw fsError("NotFound", `no directory ${dirId}`);
  if (type !== "dir") throw fsError("NotDir", `${dirId} is not a directory`);
}

/** The error a checked statement reports about the directory it works in. */
function dirError(status: CheckedStatus, dirId: FileId): Error {
  if (status === "no_dir") return fsError("NotFound", `no directory ${dirId}`);
  if (status === "not_dir") return fsError("NotDir", `${dirId} is not a directory`);
  return unexpected(status);
}

function unexpected(status: CheckedStatus): Error {
  return fsError("Io", `PostgreSQL metadata store: unexpected status '${status}'`);
}

/**
 * What is left of a node that lost a name, from a row holding at `at` whether the node went with
 * it and at `at + 1` the node (null when there is none).
 */
function unlinked(row: Row, at: number): Unlinked | null {
  const node = attrFromRow(row, at + 1);
  if (!node) return null;
  return { node: row[at] ? { ...node, nlink: 0 } : node };
}

function fileBytes(attr: FileAttr): number {
  return attr.type === "file" ? attr.size : 0;
}

function removedUsage(result: Unlinked): StoreUsage {
  return result.node.nlink === 0 ? { files: -1, bytes: -fileBytes(result.node) } : NO_CHANGE;
}

function sqlState(err: unknown): string | undefined {
  return err instanceof pg.DatabaseError ? err.code : undefined;
}

/** A taken name (unique violation on an entry) as Exists; anything else as it was. */
function nameTaken(err: unknown, name: string, dirId: FileId): unknown {
  if (sqlState(err) === "23505" && (err as pg.DatabaseError).constraint === "entries_pkey") {
    return fsError("Exists", `'${name}' exists in directory ${dirId}`);
  }
  return err;
}

function isRetryable(err: unknown): boolean {
  const state = sqlState(err);
  return err instanceof Restart || state === "40001" || state === "40P01";
}

/** PostgreSQL and connection failures as FsErrors. Messages never carry the password. */
function translate(err: unknown): Error {
  if (isFsError(err)) return err;
  if (err instanceof Restart) return fsError("Io", "PostgreSQL metadata store: gave up after repeated concurrent changes");
  const state = sqlState(err) ?? "";
  const reason = reasonOf(err);
  switch (state) {
    case "40001":
    case "40P01":
      return fsError("Io", `PostgreSQL metadata store: gave up after repeated conflicts: ${reason}`, err);
    case "53100":
      return fsError("NoSpace", `PostgreSQL metadata database is out of disk space: ${reason}`, err);
    case "25006":
      return fsError("ReadOnly", `PostgreSQL metadata database is read-only: ${reason}`, err);
    case "54000":
      return fsError("NameTooLong", `name too long for the PostgreSQL metadata database: ${reason}`, err);
    case "22021":
    case "22P05":
      return fsError("Invalid", `name cannot be stored in the PostgreSQL metadata database: ${reason}`, err);
  }
  if (state.startsWith("08") || state.startsWith("57P") || !state) {
    return fsError("Io", `PostgreSQL metadata store: connection failed: ${reason}`, err);
  }
  return fsError("Io", `PostgreSQL metadata store: ${reason}`, err);
}

/** What went wrong, in words: a connection attempt to several addresses fails with an empty AggregateError. */
function reasonOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(reasonOf).join("; ");
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}

/**
 * host:port/database of a pool config, as the driver resolves it (URL, fields, PG* variables).
 * A connection string that is not a URL is refused here: the driver would take all of it,
 * password included, for a database name and show it in messages.
 */
function describeServer(config: PoolConfig): string {
  const invalid = () => fsError("Invalid", "the PostgreSQL connection string must be a URL: postgresql://user:password@host:port/database");
  if (config.connectionString !== undefined && !/^postgres(ql)?:\/\/[^\s]*$/.test(config.connectionString)) throw invalid();
  let resolved: pg.Client;
  try {
    resolved = new pg.Client(config);
  } catch {
    // Not passed on: a URL parse error carries the whole string.
    throw invalid();
  }
  return `${resolved.host}:${resolved.port}/${resolved.database ?? resolved.user}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
