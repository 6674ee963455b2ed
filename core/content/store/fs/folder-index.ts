import Database from "better-sqlite3";
import { LruMap } from "../../../util/lru.js";

/** One node of a folder-layout share and where it is on disk. */
export interface FolderNode {
  /** The metadata store's id of the node. */
  nodeId: string;
  /** The directory that holds (one of) its names; null for the root. */
  parentId: string | null;
  /** That name ("" for the root). */
  name: string;
  /** The disk's identity of the file: its device number, and its inode number with its birth time as generation. */
  dev: string;
  ino: string;
  /** Files only: the content id the content service knows the file by. */
  contentId: string | null;
  /** Directories: the directory's mtime and ctime when it was last listed; null = never. */
  listed: string | null;
  /**
   * The owner a client set that the disk could not take (the server does not run as root):
   * kept here, shown instead of the disk's.
   */
  ownerUid: number | null;
  ownerGid: number | null;
}

interface Row {
  node_id: string;
  parent_id: string | null;
  name: string;
  dev: string;
  ino: string;
  content_id: string | null;
  listed: string | null;
  owner_uid: number | null;
  owner_gid: number | null;
}

const toNode = (row: Row): FolderNode => ({
  nodeId: row.node_id,
  parentId: row.parent_id,
  name: row.name,
  dev: row.dev,
  ino: row.ino,
  contentId: row.content_id,
  listed: row.listed,
  ownerUid: row.owner_uid,
  ownerGid: row.owner_gid,
});

/** Directories deeper than this cannot be named (a loop in the index would otherwise never end). */
const MAX_DEPTH = 4096;
/** Rows kept in memory: every operation reads its node's row and those of its parents. */
const CACHED_ROWS = 50_000;
/** Changes wait at most this long (or for this many more) before they are written in one transaction. */
const WRITE_BEHIND_MS = 20;
const WRITE_BEHIND_ROWS = 512;

/**
 * The folder layout's map between the share's metadata nodes and the files on disk: for each
 * node, the (device, inode) it stands for and a name it has, so that a file handle (which holds
 * the node id) finds its file again after a restart, and a node whose inode now holds another
 * file is known to be stale. A file renamed on disk keeps its node (found again by inode).
 *
 * Changes are kept in memory and written behind, many to a transaction (every 20 ms, and before
 * a query by inode or content id): one transaction per change cost more than the create it
 * records. Like a commit that SQLite (synchronous=NORMAL) had not synced yet, a change lost in a
 * crash only makes its node's handle stale; the file is found again by the next listing.
 */
export class FolderIndex {
  private readonly db: Database.Database;
  private readonly statements;
  /** Rows by node id as the database holds them (null: no such row); every change here drops its entry. */
  private readonly rows = new LruMap<string, FolderNode | null>(CACHED_ROWS);
  /** Rows changed since the last write, as they now are (null: removed); they win over `rows`. */
  private pending = new Map<string, FolderNode | null>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    // Not synced per change: a row lost in a crash only makes its node's handle stale (the file
    // itself is on disk and is found again, under a new node, by the next listing).
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS nodes (
        node_id    TEXT PRIMARY KEY,
        parent_id  TEXT,
        name       TEXT NOT NULL,
        dev        TEXT NOT NULL,
        ino        TEXT NOT NULL,
        content_id TEXT UNIQUE,
        listed     TEXT,
        owner_uid  INTEGER,
        owner_gid  INTEGER
      );
      CREATE INDEX IF NOT EXISTS nodes_by_inode ON nodes (dev, ino);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.statements = {
      put: this.db.prepare<[string, string | null, string, string, string, string | null, string | null, number | null, number | null]>(
        "INSERT OR REPLACE INTO nodes (node_id, parent_id, name, dev, ino, content_id, listed, owner_uid, owner_gid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      byNode: this.db.prepare<[string], Row>("SELECT * FROM nodes WHERE node_id = ?"),
      byContent: this.db.prepare<[string], Row>("SELECT * FROM nodes WHERE content_id = ?"),
      byInode: this.db.prepare<[string, string], Row>("SELECT * FROM nodes WHERE dev = ? AND ino = ?"),
      remove: this.db.prepare<[string]>("DELETE FROM nodes WHERE node_id = ?"),
      getMeta: this.db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE name = ?"),
      setMeta: this.db.prepare<[string, string]>("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)"),
    };
  }

  /**
   * Binds the index to the share's root node and the directory it exports. Another root node (a
   * memory metadata store after a restart, a deleted database) or another directory means every
   * node here is unknown, so the index starts over.
   */
  bindRoot(rootId: string, dev: string, ino: string): void {
    const bound = this.statements.getMeta.get("root")?.value;
    const identity = `${rootId} ${dev} ${ino}`;
    if (bound !== identity) {
      this.pending.clear();
      this.db.exec("DELETE FROM nodes");
      this.rows.clear();
      this.statements.setMeta.run("root", identity);
    }
    if (!this.byNode(rootId)) this.put({ nodeId: rootId, parentId: null, name: "", dev, ino, contentId: null, ownerUid: null, ownerGid: null });
  }

  put(node: Omit<FolderNode, "listed">): void {
    this.change(node.nodeId, { ...node, listed: null });
  }

  byNode(nodeId: string): FolderNode | null {
    const changed = this.pending.get(nodeId);
    if (changed !== undefined) return changed;
    const cached = this.rows.get(nodeId);
    if (cached !== undefined) return cached;
    const row = this.statements.byNode.get(nodeId);
    const node = row ? toNode(row) : null;
    this.rows.set(nodeId, node);
    return node;
  }

  byContent(contentId: string): FolderNode | null {
    this.flush();
    const row = this.statements.byContent.get(contentId);
    return row ? toNode(row) : null;
  }

  byInode(dev: string, ino: string): FolderNode | null {
    this.flush();
    const row = this.statements.byInode.get(dev, ino);
    return row ? toNode(row) : null;
  }

  remove(nodeId: string): void {
    this.change(nodeId, null);
  }

  setListed(nodeId: string, stamp: string | null): void {
    this.update(nodeId, { listed: stamp });
  }

  /** The node is now (also) named `name` in `parentId`. */
  move(nodeId: string, parentId: string, name: string): void {
    this.update(nodeId, { parentId, name });
  }

  setOwner(nodeId: string, uid: number | null, gid: number | null): void {
    this.update(nodeId, { ownerUid: uid, ownerGid: gid });
  }

  /** The names from the root down to the node; null when the node or one of its parents is unknown. */
  pathOf(nodeId: string): string[] | null {
    const names: string[] = [];
    let node = this.byNode(nodeId);
    while (node && node.parentId !== null) {
      if (names.length >= MAX_DEPTH) return null;
      names.push(node.name);
      node = this.byNode(node.parentId);
    }
    return node ? names.reverse() : null;
  }

  /** Writes the changes kept in memory, in one transaction. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pending.size === 0) return;
    const changes = this.pending;
    const write = this.db.transaction(() => {
      for (const [nodeId, node] of changes) {
        if (node) this.statements.put.run(nodeId, node.parentId, node.name, node.dev, node.ino, node.contentId, node.listed, node.ownerUid, node.ownerGid);
        else this.statements.remove.run(nodeId);
      }
    });
    write();
    // Only once written: a failure (a full disk) keeps them pending, and the next flush tries again.
    this.pending = new Map();
    for (const [nodeId, node] of changes) this.rows.set(nodeId, node);
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  /** Changes an existing row (a node the index does not know stays unknown). */
  private update(nodeId: string, fields: Partial<FolderNode>): void {
    const node = this.byNode(nodeId);
    if (node) this.change(nodeId, { ...node, ...fields });
  }

  private change(nodeId: string, node: FolderNode | null): void {
    this.pending.set(nodeId, node);
    if (this.pending.size >= WRITE_BEHIND_ROWS) this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flushLater(), WRITE_BEHIND_MS).unref();
  }

  /** The timer's flush: a failure is tried again later, and meanwhile reported by the next query that flushes. */
  private flushLater(): void {
    this.flushTimer = null;
    try {
      this.flush();
    } catch {
      this.flushTimer = setTimeout(() => this.flushLater(), WRITE_BEHIND_MS * 50);
    }
    this.flushTimer?.unref();
  }
}
