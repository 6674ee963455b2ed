import type { AttrChange, AttrChangeKind, MetadataService, NameChange, NodeName } from "../../metadata/service.js";
import type { FileId } from "../../metadata/types.js";
import {
  FILE_ACTION_ADDED,
  FILE_ACTION_MODIFIED,
  FILE_ACTION_REMOVED,
  FILE_ACTION_RENAMED_NEW_NAME,
  FILE_ACTION_RENAMED_OLD_NAME,
  FILE_NOTIFY_CHANGE_ATTRIBUTES,
  FILE_NOTIFY_CHANGE_CREATION,
  FILE_NOTIFY_CHANGE_DIR_NAME,
  FILE_NOTIFY_CHANGE_FILE_NAME,
  FILE_NOTIFY_CHANGE_LAST_ACCESS,
  FILE_NOTIFY_CHANGE_LAST_WRITE,
  FILE_NOTIFY_CHANGE_SECURITY,
  FILE_NOTIFY_CHANGE_SIZE,
  STATUS_DELETE_PENDING,
  STATUS_NOTIFY_CLEANUP,
} from "../../protocol/smb2/constants.js";
import type { Logger } from "../../util/logger.js";

const ACTION: Readonly<Record<NameChange["action"], number>> = {
  added: FILE_ACTION_ADDED,
  removed: FILE_ACTION_REMOVED,
  "renamed-from": FILE_ACTION_RENAMED_OLD_NAME,
  "renamed-to": FILE_ACTION_RENAMED_NEW_NAME,
};
/** The CompletionFilter bits an attribute change matches (MS-FSA §2.1.5.14.2, §2.1.5.4). */
const FILTER: Readonly<Record<AttrChangeKind, number>> = {
  size: FILE_NOTIFY_CHANGE_SIZE,
  mtime: FILE_NOTIFY_CHANGE_LAST_WRITE,
  atime: FILE_NOTIFY_CHANGE_LAST_ACCESS,
  // A mode is the DOS read-only attribute and the file's security descriptor at once.
  mode: FILE_NOTIFY_CHANGE_ATTRIBUTES | FILE_NOTIFY_CHANGE_SECURITY,
  owner: FILE_NOTIFY_CHANGE_SECURITY,
  dos: FILE_NOTIFY_CHANGE_ATTRIBUTES,
  birthtime: FILE_NOTIFY_CHANGE_CREATION,
};
/** Changes kept for an open between two CHANGE_NOTIFY requests; more is an overflow (STATUS_NOTIFY_ENUM_DIR). */
const MAX_QUEUED = 256;
/** Directories climbed from a change to the tree watches above it. */
const MAX_DEPTH = 256;

export interface NotifyEntry {
  action: number;
  name: string;
}

/** One way to report a change: the action, for watches whose filter has one of `filter`'s bits. */
interface Report {
  action: number;
  filter: number;
}

/**
 * What one directory open watches (after its first CHANGE_NOTIFY, MS-SMB2 §3.3.5.19): the changes
 * since it last answered, and the requests waiting for the next ones (first come, first served).
 */
export class DirectoryWatch {
  queue: NotifyEntry[] = [];
  overflowed = false;
  /** Set once the watch is over: its handle closed (NOTIFY_CLEANUP), its directory is being deleted (DELETE_PENDING). */
  ended: number | null = null;
  private readonly waiters: Array<() => void> = [];
  /** What the queue takes as FILE_NOTIFY_INFORMATION entries. */
  private queuedBytes = 0;

  /**
   * `tree`: SMB2_WATCH_TREE, changes anywhere below the directory. `maxBytes`: the first request's
   * OutputBufferLength, which bounds what is kept for later requests (as Windows and Samba keep it).
   */
  constructor(
    readonly filter: number,
    readonly tree: boolean,
    private readonly maxBytes: number,
  ) {}

  add(entry: NotifyEntry): void {
    // A change repeated at once (a copy setting size, times and attributes in turn) is one.
    const last = this.queue.at(-1);
    if (last?.action === entry.action && last.name === entry.name) return;
    const bytes = entryBytes(entry);
    if (this.overflowed || this.queue.length >= MAX_QUEUED || this.queuedBytes + bytes > this.maxBytes) {
      this.overflowed = true;
      this.queue = [];
      this.queuedBytes = 0;
    } else {
      this.queue.push(entry);
      this.queuedBytes += bytes;
    }
    this.waiters.shift()?.();
  }

  end(status: number): void {
    this.ended ??= status;
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  close(): void {
    this.end(STATUS_NOTIFY_CLEANUP);
  }

  /** Whether a request has something to answer with now. */
  get ready(): boolean {
    return this.queue.length > 0 || this.overflowed || this.ended !== null;
  }

  /** Resolves at a change for this request or at the end; rejects when `signal` aborts (CANCEL). */
  next(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error("cancelled"));
      const waiter = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error("cancelled"));
      };
      this.waiters.push(waiter);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Hands out what was queued. */
  take(): { entries: NotifyEntry[]; overflowed: boolean } {
    const taken = { entries: this.queue, overflowed: this.overflowed };
    this.queue = [];
    this.queuedBytes = 0;
    this.overflowed = false;
    return taken;
  }
}

/** Where the watches find a node's name: an SMB open of it first, else the metadata service. */
export interface NameSource {
  openName(share: string, id: FileId): NodeName | null;
  metadata(): MetadataService;
}

/**
 * The watched directories of the server, fed with the metadata service's name and attribute
 * changes (from any protocol). A change reaches the watches of its directory, and the tree
 * watches of the directories above it with its path from there; the climb happens only in a
 * share that has tree watches. Changes are delivered one at a time, in the order they happened.
 */
export class DirectoryWatches {
  private readonly byDir = new Map<string, Set<DirectoryWatch>>();
  /** Tree watches per share: climbing to them is needed only where there are some. */
  private readonly treeWatches = new Map<string, number>();
  private delivering: Promise<void> = Promise.resolve();

  constructor(
    private readonly names: NameSource,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.byDir.size;
  }

  add(share: string, dirId: FileId, watch: DirectoryWatch): void {
    const key = dirKey(share, dirId);
    let set = this.byDir.get(key);
    if (!set) this.byDir.set(key, (set = new Set()));
    set.add(watch);
    if (watch.tree) this.treeWatches.set(share, (this.treeWatches.get(share) ?? 0) + 1);
  }

  remove(share: string, dirId: FileId, watch: DirectoryWatch): void {
    const key = dirKey(share, dirId);
    const set = this.byDir.get(key);
    if (!set?.delete(watch)) return;
    if (set.size === 0) this.byDir.delete(key);
    if (watch.tree) {
      const left = (this.treeWatches.get(share) ?? 1) - 1;
      if (left === 0) this.treeWatches.delete(share);
      else this.treeWatches.set(share, left);
    }
  }

  /** The directory is being deleted: its watches answer STATUS_DELETE_PENDING from now on. */
  deleting(share: string, dirId: FileId): void {
    for (const watch of this.byDir.get(dirKey(share, dirId)) ?? []) watch.end(STATUS_DELETE_PENDING);
  }

  nameChanged(change: NameChange): void {
    if (this.byDir.size > 0) this.enqueue(() => this.deliverName(change));
  }

  attrsChanged(change: AttrChange): void {
    if (this.byDir.size > 0) this.enqueue(() => this.deliverAttrs(change));
  }

  private enqueue(deliver: () => Promise<void>): void {
    this.delivering = this.delivering.then(deliver).catch((err: unknown) => this.logger.warn({ err }, "a change notification was lost"));
  }

  private async deliverName(change: NameChange): Promise<void> {
    const { share, dirId, name, isDir } = change;
    if (change.action === "removed" && isDir && !change.renamed) this.deleting(share, change.id);
    const named: Report = { action: ACTION[change.action], filter: isDir ? FILE_NOTIFY_CHANGE_DIR_NAME : FILE_NOTIFY_CHANGE_FILE_NAME };
    // A renamed file's new name reads as modified to watches of attributes or creation but not of
    // names (smbtorture's notify.mask-change and notify.rec, as Windows answers them).
    const arrived = change.renamed && !isDir && (change.action === "added" || change.action === "renamed-to");
    const modified: Report = { action: FILE_ACTION_MODIFIED, filter: FILE_NOTIFY_CHANGE_ATTRIBUTES | FILE_NOTIFY_CHANGE_CREATION };
    await this.report(share, dirId, name, arrived ? [named, modified] : [named]);
  }

  private async deliverAttrs(change: AttrChange): Promise<void> {
    const { share, id } = change;
    const where = this.names.openName(share, id) ?? (await this.names.metadata().nameOf(share, id));
    if (!where) return;
    const filter = change.kinds.reduce((bits, kind) => bits | FILTER[kind], 0);
    await this.report(share, where.dirId, where.name, [{ action: FILE_ACTION_MODIFIED, filter }]);
  }

  /** A change of `name` in a directory, to each watch as the first of `reports` its filter asks for. */
  private async report(share: string, dirId: FileId, name: string, reports: readonly Report[]): Promise<void> {
    const tell = (watch: DirectoryWatch, path: string) => {
      const report = reports.find((r) => watch.filter & r.filter);
      if (report) watch.add({ action: report.action, name: path });
    };
    for (const watch of this.byDir.get(dirKey(share, dirId)) ?? []) tell(watch, name);
    if (!this.treeWatches.has(share)) return;
    let path = name;
    let at = dirId;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const up = await this.names.metadata().nameOf(share, at);
      if (!up) return;
      path = `${up.name}\\${path}`;
      at = up.dirId;
      for (const watch of this.byDir.get(dirKey(share, at)) ?? []) if (watch.tree) tell(watch, path);
    }
  }
}

/** An entry's FILE_NOTIFY_INFORMATION size: 12 bytes, the UTF-16 name, 4-byte alignment. */
function entryBytes(entry: NotifyEntry): number {
  return (12 + entry.name.length * 2 + 3) & ~3;
}

function dirKey(share: string, dirId: FileId): string {
  return `${share}\0${dirId}`;
}
