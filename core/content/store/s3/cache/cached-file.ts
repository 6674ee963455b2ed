import type { PartialUpload } from "./backend.js";
import type { UploadInFlight } from "../../../remote-status.js";
import { RangeSet } from "./range-set.js";

/**
 * Parts of a new file sent while it is still being written sequentially, so the upload at
 * COMMIT has only the tail left. Bytes below `through` are in parts sent or being sent: a
 * write there makes the parts worthless (`spoiled`), and the upload then starts afresh.
 */
export interface Streaming {
  key: string;
  /** Settles once S3 has begun the multipart upload (null when it could not). */
  started: Promise<PartialUpload | null>;
  partial: PartialUpload | null;
  through: number;
  sending: Set<Promise<void>>;
  /** No more parts: a part failed (S3 may be down) or the final upload is taking over. */
  stopped: boolean;
  spoiled: boolean;
  /** The metadata the object was begun with (its mtime is unknown until the writing ends). */
  metadata: Record<string, string> | undefined;
  progress: UploadInFlight;
  controller: AbortController;
}

/** One file's local state. Positions below `baseLimit` that are not `present` live only remotely. */
export class CachedFile {
  /** Logical size. */
  size = 0;
  /** Size of the remote object (null: none), undefined until asked. */
  remoteSize: number | null | undefined = undefined;
  /** ETag of the object the cached clean bytes belong to, and when that was last checked. */
  etag: string | null = null;
  checkedAt = 0;
  /** Remote bytes at or beyond this were truncated away. */
  baseCap = Infinity;
  /** A truncate fixed `size` while the remote size was unknown. */
  truncated = false;
  /** Bytes held in the segment files. */
  present = new RangeSet();
  /** Bytes not yet remote (a subset of present). */
  dirty = new RangeSet();
  /** Counts changes; an upload records the count it sent. */
  seq = 0;
  /** Counts changes to the object's metadata (mode, owner, mtime); uploads and copies record what they sent. */
  metadataSeq = 0;
  metadataSentSeq = 0;
  syncedSeq = 0;
  uploadedSeq = 0;
  /** Changes made while an upload is in flight, which it does not carry. */
  sinceSnapshot: { dirty: RangeSet; cap: number } | null = null;
  uploading: AbortController | null = null;
  streaming: Streaming | null = null;
  journaled = false;
  deleted = false;
  /** Times in a row its upload found another file's object still on its key. */
  blockedTries = 0;
  /** Operations holding this object right now; only an unheld file may leave the map. */
  holders = 0;
  readers = 0;
  changedAt = 0;
  /** Where a sequential reader is expected next. */
  nextRead = -1;
  readonly fetching = new Map<number, Promise<void>>();
  /** Chunks just fetched, still in memory: a reader copies from here instead of reading the segment back. */
  readonly recent = new Map<number, { buffer: Buffer; length: number }>();
  resolving: Promise<void> | null = null;
  revalidating: Promise<void> | null = null;

  constructor(readonly id: string) {}

  get known(): boolean {
    return this.remoteSize !== undefined;
  }

  get baseLimit(): number {
    return Math.min(this.baseCap, this.remoteSize ?? 0);
  }

  /** Local state differs from the remote object. */
  get needsUpload(): boolean {
    return !this.known || !this.dirty.isEmpty || this.remoteSize !== this.size;
  }

  /** The end of the last byte held locally (segment files may reach beyond `size` until truncated). */
  get localEnd(): number {
    return Math.max(this.size, this.present.list().at(-1)?.end ?? 0);
  }
}
