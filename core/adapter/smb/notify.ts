import type { NameChange } from "../../metadata/service.js";

/** FILE_NOTIFY_INFORMATION Action values (MS-FSCC §2.7.1). */
const ACTION: Readonly<Record<NameChange["action"], number>> = {
  added: 1, // FILE_ACTION_ADDED
  removed: 2, // FILE_ACTION_REMOVED
  "renamed-from": 4, // FILE_ACTION_RENAMED_OLD_NAME
  "renamed-to": 5, // FILE_ACTION_RENAMED_NEW_NAME
};
/** Changes kept for an open between two CHANGE_NOTIFY requests; more is an overflow (STATUS_NOTIFY_ENUM_DIR). */
const MAX_QUEUED = 256;

export interface NotifyEntry {
  action: number;
  name: string;
}

/**
 * What one directory open watches (after its first CHANGE_NOTIFY, MS-SMB2 §3.3.5.19): the names
 * changed since it last answered, and the request waiting for the next one.
 */
export class DirectoryWatch {
  queue: NotifyEntry[] = [];
  overflowed = false;
  closed = false;
  private waiter: (() => void) | null = null;

  constructor(readonly filter: number) {}

  add(entry: NotifyEntry): void {
    if (this.queue.length >= MAX_QUEUED) this.overflowed = true;
    else this.queue.push(entry);
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Resolves at the next change or close; rejects when `signal` aborts (CANCEL). */
  next(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error("cancelled"));
      const onAbort = () => {
        this.waiter = null;
        reject(new Error("cancelled"));
      };
      this.waiter = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Hands out what was queued. */
  take(): { entries: NotifyEntry[]; overflowed: boolean } {
    const taken = { entries: this.queue, overflowed: this.overflowed };
    this.queue = [];
    this.overflowed = false;
    return taken;
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}

/** FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME: the changes the server reports. */
const NAME_CHANGES = 0x1 | 0x2;

/** The watched directories of the server, fed with every name change the metadata service reports. */
export class DirectoryWatches {
  private readonly byDir = new Map<string, Set<DirectoryWatch>>();

  static key(share: string, dirId: string): string {
    return `${share}\0${dirId}`;
  }

  add(key: string, watch: DirectoryWatch): void {
    let set = this.byDir.get(key);
    if (!set) this.byDir.set(key, (set = new Set()));
    set.add(watch);
  }

  remove(key: string, watch: DirectoryWatch): void {
    const set = this.byDir.get(key);
    if (!set) return;
    set.delete(watch);
    if (set.size === 0) this.byDir.delete(key);
  }

  dispatch(change: NameChange): void {
    const set = this.byDir.get(DirectoryWatches.key(change.share, change.dirId));
    if (!set) return;
    for (const watch of set) if (watch.filter & NAME_CHANGES) watch.add({ action: ACTION[change.action], name: change.name });
  }
}
