import { open } from "node:fs/promises";
import type Database from "better-sqlite3";
import { fsError } from "../errors.js";
import { CoalescedCall } from "./coalesced-call.js";

/**
 * Makes the commits of a SQLite database in WAL mode durable on demand, off the event loop.
 * With synchronous=NORMAL a commit reaches the WAL file but not the disk (a checkpoint syncs
 * what it copies), so a power cut could roll the last commits back; one fsync of the WAL makes
 * every commit before it durable. Concurrent callers share fsyncs, and a call with nothing
 * committed since the last sync began only waits for that sync.
 */
export class WalSync {
  private readonly call = new CoalescedCall(() => this.syncWal());
  private readonly totalChanges: Database.Statement<[], number>;
  /** SQLite's count of changed rows when the last sync began. */
  private syncedChanges = -1;

  /** `walPath` null: an in-memory database, with nothing to sync. `what` names it in errors. */
  constructor(
    db: Database.Database,
    private readonly walPath: string | null,
    private readonly what: string,
  ) {
    this.totalChanges = db.prepare<[], number>("SELECT total_changes()").pluck();
  }

  sync(): Promise<void> {
    if (this.totalChanges.get() === this.syncedChanges) return this.call.current();
    return this.call.run();
  }

  private async syncWal(): Promise<void> {
    this.syncedChanges = this.totalChanges.get()!;
    if (this.walPath === null) return;
    try {
      const wal = await open(this.walPath, "r");
      try {
        await wal.sync();
      } finally {
        await wal.close();
      }
    } catch (err) {
      // No WAL yet: every commit so far is in the database file, which a checkpoint synced.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw fsError("Io", `could not sync ${this.what}: ${(err as Error).message}`, err);
    }
  }
}
