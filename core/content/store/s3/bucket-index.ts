import Database from "better-sqlite3";

/** One file or directory of a bucket-layout share, as the bucket sees it. */
export interface IndexedNode {
  /** The metadata store's id of the node. */
  nodeId: string;
  /** Files only. */
  contentId: string | null;
  /** Where the node belongs: a file's object key, or a directory's prefix (ending in "/"). */
  key: string;
  /**
   * Files: where the object is now (null: not uploaded yet). Directories: the marker object's
   * key when one exists.
   */
  remoteKey: string | null;
  /** Files: the ETag of the object this state was listed or written as. */
  etag: string | null;
  /** The listing generation that last saw the node in the bucket. */
  seen: number;
  /** Directories: when the last complete listing ended (ms since the epoch); 0 = never. */
  listedAt: number;
  /** Files: the ETag of the object whose metadata (mode, owner, mtime) the node took; null = none yet. */
  described: string | null;
}

interface Row {
  node_id: string;
  content_id: string | null;
  key: string;
  remote_key: string | null;
  etag: string | null;
  seen: number;
  listed_at: number;
  described: string | null;
}

const toNode = (row: Row): IndexedNode => ({
  nodeId: row.node_id,
  contentId: row.content_id,
  key: row.key,
  remoteKey: row.remote_key,
  etag: row.etag,
  seen: row.seen,
  listedAt: row.listed_at,
  described: row.described,
});

/**
 * The bucket layout's map between the share's metadata nodes and the bucket's keys, in the
 * store's cache directory. Keys are derived from paths, so a rename re-keys a whole subtree here
 * at once while the objects follow in the background (`remote_key` says where each one is).
 */
export class BucketIndex {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    // A rename is acknowledged once its new keys are here: they must survive a crash.
    this.db.pragma("synchronous = FULL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS nodes (
        node_id    TEXT PRIMARY KEY,
        content_id TEXT UNIQUE,
        key        TEXT NOT NULL,
        remote_key TEXT,
        etag       TEXT,
        seen       INTEGER NOT NULL DEFAULT 0,
        listed_at  INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS nodes_by_key ON nodes (key);
      CREATE INDEX IF NOT EXISTS nodes_by_remote_key ON nodes (remote_key);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    // Added after the first release: an index written before has no such column yet.
    const columns = this.db.prepare<[], { name: string }>("PRAGMA table_info(nodes)").all();
    if (!columns.some((column) => column.name === "described")) this.db.exec("ALTER TABLE nodes ADD COLUMN described TEXT");
    this.statements = {
      put: this.db.prepare<[string, string | null, string, string | null, string | null, number]>(
        "INSERT OR REPLACE INTO nodes (node_id, content_id, key, remote_key, etag, seen) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      byNode: this.db.prepare<[string], Row>("SELECT * FROM nodes WHERE node_id = ?"),
      byContent: this.db.prepare<[string], Row>("SELECT * FROM nodes WHERE content_id = ?"),
      remove: this.db.prepare<[string]>("DELETE FROM nodes WHERE node_id = ?"),
      seen: this.db.prepare<[number, string]>("UPDATE nodes SET seen = ? WHERE node_id = ?"),
      listed: this.db.prepare<[number, string]>("UPDATE nodes SET listed_at = ? WHERE node_id = ?"),
      remote: this.db.prepare<[string | null, string | null, string]>("UPDATE nodes SET remote_key = ?, etag = coalesce(?, etag) WHERE node_id = ?"),
      etag: this.db.prepare<[string, string]>("UPDATE nodes SET etag = ? WHERE node_id = ?"),
      described: this.db.prepare<[string, string]>("UPDATE nodes SET described = ? WHERE node_id = ?"),
      uploaded: this.db.prepare<[string, string, string, string]>("UPDATE nodes SET remote_key = ?, etag = ?, described = ? WHERE node_id = ?"),
      longestKey: this.db.prepare<[string, string], { bytes: number | null }>(
        "SELECT max(length(CAST(key AS BLOB))) AS bytes FROM nodes WHERE key >= ? AND key < ?",
      ),
      key: this.db.prepare<[string, string]>("UPDATE nodes SET key = ? WHERE node_id = ?"),
      rekey: this.db.prepare<[string, number, string, string, string]>(
        // Every key under the old prefix (the node itself included) gets the new prefix.
        "UPDATE nodes SET key = ? || substr(key, ?) WHERE key >= ? AND key < ? AND key LIKE ? ESCAPE '\\'",
      ),
      byKey: this.db.prepare<[string], Row>("SELECT * FROM nodes WHERE key = ?"),
      byKeyOrRemoteKey: this.db.prepare<[string, string], Row>("SELECT * FROM nodes WHERE key = ? UNION SELECT * FROM nodes WHERE remote_key = ?"),
      moving: this.db.prepare<[], Row>("SELECT * FROM nodes WHERE content_id IS NOT NULL AND remote_key IS NOT NULL AND remote_key <> key"),
      underPrefix: this.db.prepare<[string, string], Row>("SELECT * FROM nodes WHERE key >= ? AND key < ? ORDER BY key"),
      getMeta: this.db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE name = ?"),
      setMeta: this.db.prepare<[string, string]>("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)"),
    };
  }

  /**
   * Binds the index to a share root. A different root means the metadata store was replaced (a
   * memory store after a restart, a deleted database): every node here is then unknown, so the
   * index starts over.
   */
  bindRoot(rootId: string, key: string): void {
    const bound = this.statements.getMeta.get("root")?.value;
    if (bound !== rootId) {
      this.db.exec("DELETE FROM nodes");
      this.statements.setMeta.run("root", rootId);
    }
    if (!this.byNode(rootId)) this.statements.put.run(rootId, null, key, key, null, 0);
  }

  /** The number the latest listing got (0 before the first). */
  generation(): number {
    return Number(this.statements.getMeta.get("generation")?.value ?? "0");
  }

  /** A number no earlier listing used, persisted so it grows across restarts. */
  nextGeneration(): number {
    const next = this.generation() + 1;
    this.statements.setMeta.run("generation", String(next));
    return next;
  }

  /** Adds or replaces a node; a replaced node has taken no object's metadata yet. */
  put(node: Omit<IndexedNode, "listedAt" | "described">): void {
    this.statements.put.run(node.nodeId, node.contentId, node.key, node.remoteKey, node.etag, node.seen);
  }

  byNode(nodeId: string): IndexedNode | null {
    const row = this.statements.byNode.get(nodeId);
    return row ? toNode(row) : null;
  }

  byContent(contentId: string): IndexedNode | null {
    const row = this.statements.byContent.get(contentId);
    return row ? toNode(row) : null;
  }

  /** Nodes whose key is exactly `key`. */
  atKey(key: string): IndexedNode[] {
    return this.statements.byKey.all(key).map(toNode);
  }

  /** Nodes whose object belongs at `key` or is there now. */
  holding(key: string): IndexedNode[] {
    return this.statements.byKeyOrRemoteKey.all(key, key).map(toNode);
  }

  remove(nodeId: string): void {
    this.statements.remove.run(nodeId);
  }

  /** One listing page: new or changed nodes, and every node the page saw, in one transaction (one fsync). */
  recordPage(nodes: ReadonlyArray<Omit<IndexedNode, "listedAt" | "described">>, seen: readonly string[], generation: number): void {
    this.db.transaction(() => {
      for (const node of nodes) this.put(node);
      for (const nodeId of seen) this.statements.seen.run(generation, nodeId);
    })();
  }

  setListed(nodeId: string, at: number): void {
    this.statements.listed.run(at, nodeId);
  }

  /** The object (or marker) of a node is now at `key` (null: gone). */
  setRemote(nodeId: string, key: string | null, etag: string | null = null): void {
    this.statements.remote.run(key, etag, nodeId);
  }

  setEtag(nodeId: string, etag: string): void {
    this.statements.etag.run(etag, nodeId);
  }

  /** The node's own upload is at `key` as `etag`, carrying its attributes: one statement, one fsync. */
  setUploaded(nodeId: string, key: string, etag: string): void {
    this.statements.uploaded.run(key, etag, etag, nodeId);
  }

  /** The node took the metadata of the object with `etag`. */
  setDescribed(nodeId: string, etag: string): void {
    this.statements.described.run(etag, nodeId);
  }

  /** The length in bytes of the longest key that is `prefix` or starts with it (0: none). */
  longestKeyUnder(prefix: string): number {
    return this.statements.longestKey.get(prefix, `${prefix}\u{10FFFF}`)?.bytes ?? 0;
  }

  setKey(nodeId: string, key: string): void {
    this.statements.key.run(key, nodeId);
  }

  /** Re-keys the directory prefix `oldPrefix` and everything under it to `newPrefix`. */
  rekeyTree(oldPrefix: string, newPrefix: string): void {
    if (!oldPrefix.endsWith("/") || !newPrefix.endsWith("/")) throw new Error("rekeyTree takes directory prefixes");
    const like = oldPrefix.replace(/[\\%_]/g, (c) => `\\${c}`) + "%";
    this.statements.rekey.run(newPrefix, oldPrefix.length + 1, oldPrefix, `${oldPrefix}\u{10FFFF}`, like);
  }

  /** Nodes whose key is `prefix` or starts with it, in key order. */
  under(prefix: string): IndexedNode[] {
    return this.statements.underPrefix.all(prefix, `${prefix}\u{10FFFF}`).map(toNode);
  }

  /** Files whose object still has to move to their key (a rename before a restart). */
  moving(): IndexedNode[] {
    return this.statements.moving.all().map(toNode);
  }

  close(): void {
    this.db.close();
  }
}
