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

/**
 * The folder layout's map between the share's metadata nodes and the files on disk: for each
 * node, the (device, inode) it stands for and a name it has, so that a file handle (which holds
 * the node id) finds its file again after a restart, and a node whose inode now holds another
 * file is known to be stale. A file renamed on disk keeps its node (found again by inode).
 */
export class FolderIndex {
  private readonly db: Database.Database;
  private readonly statements;
  /** Rows by node id as the database holds them (null: no such row); every change here drops its entry. */
  private readonly rows = new LruMap<string, FolderNode | null>(CACHED_ROWS);

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
      put: this.db.prepare<[string, string | null, string, string, string, string | null, number | null, number | null]>(
        "INSERT OR REPLACE INTO nodes (node_id, parent_id, name, dev, ino, content_id, owner_uid, owner_gid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      byNode: this.db.prepare<[string], Row>("SELECT * FROM nodes WHERE node_id = ?"),
      byContent: this.db.prepare<[string], Row>("SELECT * FROM nodes WHERE content_id = ?"),
      byInode: this.db.prepare<[string, string], Row>("SELECT * FROM nodes WHERE dev = ? AND ino = ?"),
      remove: this.db.prepare<[string]>("DELETE FROM nodes WHERE node_id = ?"),
      listed: this.db.prepare<[string | null, string]>("UPDATE nodes SET listed = ? WHERE node_id = ?"),
      move: this.db.prepare<[string, string, string]>("UPDATE nodes SET parent_id = ?, name = ? WHERE node_id = ?"),
      owner: this.db.prepare<[number | null, number | null, string]>("UPDATE nodes SET owner_uid = ?, owner_gid = ? WHERE node_id = ?"),
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
      this.db.exec("DELETE FROM nodes");
      this.rows.clear();
      this.statements.setMeta.run("root", identity);
    }
    if (!this.byNode(rootId)) this.put({ nodeId: rootId, parentId: null, name: "", dev, ino, contentId: null, ownerUid: null, ownerGid: null });
  }

  put(node: Omit<FolderNode, "listed">): void {
    this.statements.put.run(node.nodeId, node.parentId, node.name, node.dev, node.ino, node.contentId, node.ownerUid, node.ownerGid);
    this.rows.delete(node.nodeId);
  }

  byNode(nodeId: string): FolderNode | null {
    const cached = this.rows.get(nodeId);
    if (cached !== undefined) return cached;
    const row = this.statements.byNode.get(nodeId);
    const node = row ? toNode(row) : null;
    this.rows.set(nodeId, node);
    return node;
  }

  byContent(contentId: string): FolderNode | null {
    const row = this.statements.byContent.get(contentId);
    return row ? toNode(row) : null;
  }

  byInode(dev: string, ino: string): FolderNode | null {
    const row = this.statements.byInode.get(dev, ino);
    return row ? toNode(row) : null;
  }

  remove(nodeId: string): void {
    this.statements.remove.run(nodeId);
    this.rows.delete(nodeId);
  }

  setListed(nodeId: string, stamp: string | null): void {
    this.statements.listed.run(stamp, nodeId);
    this.rows.delete(nodeId);
  }

  /** The node is now (also) named `name` in `parentId`. */
  move(nodeId: string, parentId: string, name: string): void {
    this.statements.move.run(parentId, name, nodeId);
    this.rows.delete(nodeId);
  }

  setOwner(nodeId: string, uid: number | null, gid: number | null): void {
    this.statements.owner.run(uid, gid, nodeId);
    this.rows.delete(nodeId);
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

  close(): void {
    this.db.close();
  }
}
