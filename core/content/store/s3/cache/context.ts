import { fsError } from "../../../../errors.js";
import { KeyedMutex } from "../../../../util/keyed-mutex.js";
import type { Logger } from "../../../../util/logger.js";
import type { UploadInFlight } from "../../../remote-status.js";
import type { ObjectBackend } from "./backend.js";
import { CachedFile } from "./cached-file.js";
import type { Journal, PendingUpload } from "./journal.js";
import type { ObjectLocator } from "./locator.js";
import type { Segments } from "./segments.js";
import type { StatusEvents } from "./status-events.js";

export interface RemoteCacheOptions {
  /** Directory of the journal and the local copies; created when missing. */
  dir: string;
  backend: ObjectBackend;
  locator: ObjectLocator;
  /** Bytes the local copies may take before clean ones are evicted and writers wait. */
  maxBytes: number;
  /** Free space to leave on the cache's disk. */
  minFreeBytes: number;
  /** Files uploaded at once. */
  uploadConcurrency: number;
  /** Changes nobody committed are uploaded once they are this old. */
  uploadAfterMs: number;
  /** How long waitRemote() waits for an upload before it fails. */
  remoteTimeoutMs: number;
  /**
   * How long a writer waits for room in a cache full of changes not yet uploaded before it is
   * told to try again later (FsError "TryLater": NFS3ERR_JUKEBOX, which clients retry).
   */
  fullWaitMs: number;
  /** Chunks fetched ahead of a sequential reader. */
  readAheadChunks: number;
  /**
   * Cached bytes of a file read again after this long are checked against the object's ETag
   * first (another server or tool may have rewritten it), like NFS clients' attribute cache.
   */
  revalidateAfterMs: number;
  logger: Logger;
}

/**
 * What every part of the disk cache shares: the files' local state, their locks, the byte
 * counts the cache is bounded by, the journal and the segment files.
 */
export class CacheContext {
  /** Least recently used first. */
  readonly files = new Map<string, CachedFile>();
  readonly locks = new KeyedMutex();
  /** Files with changes not synced yet (uploaded once idle for uploadAfterMs). */
  readonly unsynced = new Set<string>();
  readonly uploads = new Set<UploadInFlight>();
  localBytes = 0;
  dirtyBytes = 0;
  closed = false;

  constructor(
    readonly options: RemoteCacheOptions,
    readonly journal: Journal,
    readonly segments: Segments,
    readonly events: StatusEvents,
  ) {}

  get remote(): string {
    return this.options.backend.description;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  checkOpen(): void {
    if (this.closed) throw fsError("Io", `the cache of ${this.remote} is closed`);
  }

  /** Runs `body` with the file's state, which stays in the map (and so the one true state) meanwhile. */
  async holding<T>(id: string, body: (file: CachedFile) => Promise<T>): Promise<T> {
    const file = this.fileFor(id);
    file.holders++;
    try {
      return await body(file);
    } finally {
      file.holders--;
    }
  }

  fileFor(id: string): CachedFile {
    this.checkOpen();
    let file = this.files.get(id);
    if (file) this.files.delete(id);
    else file = new CachedFile(id);
    // Most recently used last.
    this.files.set(id, file);
    return file;
  }

  hasLocalWork(file: CachedFile): boolean {
    return file.journaled || file.uploading !== null || file.seq > file.uploadedSeq;
  }

  changed(file: CachedFile): void {
    file.seq++;
    file.changedAt = Date.now();
    this.unsynced.add(file.id);
    this.events.statusChanged();
  }

  addPresent(file: CachedFile, start: number, end: number): void {
    this.localBytes -= file.present.total;
    file.present.add(start, end);
    this.localBytes += file.present.total;
  }

  addDirty(file: CachedFile, start: number, end: number): void {
    this.dirtyBytes -= file.dirty.total;
    file.dirty.add(start, end);
    this.dirtyBytes += file.dirty.total;
  }

  /** Writes the file's journal row: what is owed survives a crash. */
  persist(file: CachedFile): void {
    const row: PendingUpload = {
      action: "upload",
      size: file.size,
      remoteSize: file.remoteSize,
      baseCap: file.baseCap,
      truncated: file.truncated,
      dirty: file.dirty.list(),
    };
    this.journal.put(file.id, row);
    file.journaled = true;
  }
}
