import Database from "better-sqlite3";
import { WalSync } from "../../../../util/wal-sync.js";
import type { Range } from "../../../../cache/extent-list.js";

/** A file whose synced changes are not in the remote store yet. */
export interface PendingUpload {
  action: "upload";
  /** Logical size of the file. */
  size: number;
  /** The remote object's size when known (null: there is none), undefined when never asked. */
  remoteSize: number | null | undefined;
  /** Remote bytes at or beyond this were truncated away locally. */
  baseCap: number;
  /** A truncate fixed the size while the remote size was unknown. */
  truncated: boolean;
  /** Byte ranges whose bytes are in the local segment files and not yet remote. */
  dirty: Range[];
}

/** A file deleted locally whose remote object still has to go. */
export interface PendingDelete {
  action: "delete";
  key: string;
  /** The ETag of the object to delete when known: another object at the key (a newer file) stays. */
  etag?: string;
}

/** An empty object to create (a directory marker of the bucket layout). */
export interface PendingMarker {
  action: "marker";
  key: string;
}

/** A multipart upload begun while its file was written: to be aborted if the process dies first. */
export interface PendingAbort {
  action: "abort-upload";
  key: string;
  uploadId: string;
}

export type PendingChange = PendingUpload | PendingDelete | PendingMarker | PendingAbort;

/**
 * The write-back journal: one row per file with acknowledged changes that are not in the remote
 * store yet. A row is written (synchronously, fsync'd) before COMMIT is acknowledged and removed
 * once the upload or delete is done, so after a crash the rows say what may still be owed.
 *
 * A removal is not fsync'd (that was a third of the journal's time on the event loop): a row a
 * crash brings back only sends again bytes that are still local, or deletes an object again,
 * provided no local bytes a row names are dropped before its removal is on disk. So whoever
 * drops or cuts local bytes calls `settleRemovals()` first (Segments does).
 */
export class Journal {
  private readonly db: Database.Database;
  private readonly putRow: Database.Statement<[string, string, string]>;
  private readonly removeRow: Database.Statement<[string]>;
  private readonly syncNormal: Database.Statement<[]>;
  private readonly syncFull: Database.Statement<[]>;
  private readonly wal: WalSync;
  /** A removal was committed since the last fsync of the WAL. */
  private unsettled = false;
  private settling: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    // The journal is the durability record of COMMIT: a put reaches the disk before it returns.
    this.db.pragma("synchronous = FULL");
    this.wal = new WalSync(this.db, `${path}-wal`, "the upload journal");
    this.db.exec(`CREATE TABLE IF NOT EXISTS pending (
      id     TEXT PRIMARY KEY,
      action TEXT NOT NULL,
      state  TEXT NOT NULL
    )`);
    this.putRow = this.db.prepare("INSERT OR REPLACE INTO pending (id, action, state) VALUES (?, ?, ?)");
    this.removeRow = this.db.prepare("DELETE FROM pending WHERE id = ?");
    this.syncNormal = this.db.prepare("PRAGMA synchronous = NORMAL");
    this.syncFull = this.db.prepare("PRAGMA synchronous = FULL");
  }

  put(id: string, change: PendingChange): void {
    const state =
      change.action === "delete"
        ? { key: change.key, etag: change.etag }
        : change.action === "marker"
        ? { key: change.key }
        : change.action === "abort-upload"
          ? { key: change.key, uploadId: change.uploadId }
          : {
            size: change.size,
            // JSON has no undefined or Infinity: -1 stands for "never asked", null for Infinity.
            remoteSize: change.remoteSize === undefined ? -1 : change.remoteSize,
            baseCap: Number.isFinite(change.baseCap) ? change.baseCap : null,
            truncated: change.truncated,
            dirty: change.dirty,
          };
    this.putRow.run(id, change.action, JSON.stringify(state));
    // A synchronous=FULL commit fsyncs the WAL, and so every removal before it.
    this.unsettled = false;
  }

  /** Forgets a row; durable at the next put or settleRemovals(). */
  remove(id: string): void {
    // WAL mode: a commit with synchronous=NORMAL is not fsync'd, and the next fsync of the WAL
    // (a put's, or settleRemovals') covers it.
    this.syncNormal.run();
    try {
      this.removeRow.run(id);
    } finally {
      this.syncFull.run();
    }
    this.unsettled = true;
  }

  /** Resolves once every removal so far is on disk (one fsync off the event loop, shared by concurrent callers). */
  settleRemovals(): Promise<void> {
    if (this.unsettled && this.db.open) {
      this.unsettled = false;
      this.settling = this.wal.sync().catch((err: unknown) => {
        this.unsettled = true;
        throw err;
      });
    }
    return this.settling;
  }

  /** Every pending change, in the order they were first journaled. */
  all(): Array<{ id: string; change: PendingChange }> {
    const rows = this.db.prepare("SELECT id, action, state FROM pending ORDER BY rowid").all() as Array<{
      id: string;
      action: string;
      state: string;
    }>;
    return rows.map(({ id, action, state }) => {
      const parsed = JSON.parse(state) as Record<string, unknown>;
      if (action === "delete") {
        return { id, change: { action, key: String(parsed.key), ...(typeof parsed.etag === "string" ? { etag: parsed.etag } : {}) } };
      }
      if (action === "marker") return { id, change: { action, key: String(parsed.key) } };
      if (action === "abort-upload") return { id, change: { action: "abort-upload", key: String(parsed.key), uploadId: String(parsed.uploadId) } };
      const remoteSize = parsed.remoteSize as number | null;
      return {
        id,
        change: {
          action: "upload",
          size: Number(parsed.size),
          remoteSize: remoteSize === -1 ? undefined : remoteSize,
          baseCap: parsed.baseCap === null ? Infinity : Number(parsed.baseCap),
          truncated: Boolean(parsed.truncated),
          dirty: parsed.dirty as Range[],
        },
      };
    });
  }

  close(): void {
    this.db.close();
  }
}
