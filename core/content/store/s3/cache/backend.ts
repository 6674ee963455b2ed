/**
 * A remote object store as the disk cache sees it: whole objects addressed by key, read by range,
 * written whole. The S3 content store implements it (core/content/store/s3/objects.ts); the cache
 * never sees an SDK type. Every failure is a RemoteError, so the cache can tell a blip worth
 * retrying from a mistake worth reporting.
 */

/** An object as a listing shows it. */
export interface ListedObject {
  key: string;
  size: number;
  /** The ETag without quotes. */
  etag: string;
  lastModified: Date;
}

/** An object as HEAD shows it: a listing's fields plus its user metadata. */
export interface RemoteObject extends ListedObject {
  /** User metadata (x-amz-meta-*), keys in lower case without the prefix. */
  metadata: Record<string, string>;
}

export interface ListPage {
  objects: ListedObject[];
  /** Common prefixes (with the delimiter at the end) when listing with a delimiter. */
  prefixes: string[];
  /** Pass as `continuation` to get the next page; null on the last page. */
  next: string | null;
}

/** One piece of an object being uploaded; the object is the concatenation of its sources. */
export type UploadSource =
  /** Bytes of a local file. */
  | { kind: "file"; path: string; offset: number; length: number }
  /** Bytes of an object already in the store (copied server-side where the part allows). */
  | { kind: "copy"; key: string; offset: number; length: number }
  /** Zeros (a hole). */
  | { kind: "zeros"; length: number };

export interface UploadOptions {
  /** User metadata to store with the object (replaces what the key had). */
  metadata?: Record<string, string>;
  /** Called with the bytes of the object sent or copied so far, as parts complete. */
  onProgress?: (bytesDone: number) => void;
  /** Aborts the upload (an unfinished multipart upload is aborted too). */
  signal?: AbortSignal;
  /**
   * Parts of this object sent before it was complete (see ObjectBackend.begin). The upload
   * finishes that multipart upload, sending only the parts it lacks, when its parts line up with
   * the plan; otherwise it aborts it and uploads as usual. The caller vouches that the bytes of
   * the parts sent are still the object's.
   */
  partial?: PartialUpload;
}

/**
 * A multipart upload begun while the object is still being written: every part but the last is
 * `partSize` bytes, and part n covers bytes (n-1)·partSize … n·partSize. Nothing is visible
 * under the key until an upload() completes it.
 */
export interface PartialUpload {
  readonly key: string;
  /** The store's id of the multipart upload, for abandon() after a crash. */
  readonly uploadId: string;
  readonly partSize: number;
  /** Parts worth sending at once. */
  readonly concurrency: number;
  /** Bytes of the parts sent so far. */
  readonly bytesSent: number;
  /** Sends part `number` (1-based), made of `sources` (partSize bytes in all). */
  sendPart(number: number, sources: readonly UploadSource[], signal?: AbortSignal): Promise<void>;
  /** Gives it up: S3 drops its parts (best effort, never throws). */
  abort(): Promise<void>;
}

export interface CopyOptions {
  /** The copy gets this metadata; without it, it keeps the source's. */
  metadata?: Record<string, string>;
  /**
   * Copy only the source object with this ETag: another one at the source key fails the copy
   * with "not-found" (the object meant is gone). Stores that ignore the condition copy whatever is there.
   */
  sourceIfMatch?: string;
}

export interface ObjectBackend {
  /** For logs and status, e.g. "s3://photos/backup/ at http://127.0.0.1:9000" (never a secret). */
  readonly description: string;

  /**
   * Checks that the bucket exists and the credentials may use it, within the configured timeouts.
   * RemoteError with kind "auth", "no-bucket" or "unreachable" and a message a user can act on.
   */
  check(): Promise<void>;

  /** The object at `key`, or null when there is none. */
  head(key: string): Promise<RemoteObject | null>;

  /**
   * Reads up to `length` bytes from `offset` into `into` (at least `length` long) with ranged
   * GETs; returns the number of bytes read, fewer only at the end of the object (0 past it).
   * RemoteError "not-found" when there is no object.
   */
  read(key: string, offset: number, length: number, into: Buffer): Promise<number>;

  /**
   * Writes the object as the concatenation of `sources`, replacing any object at `key`
   * atomically: readers see the old or the new object, never a mix. One PutObject when the
   * object is small, a multipart upload otherwise, where a part that lies entirely inside one
   * "copy" source is copied server-side (UploadPartCopy) instead of uploaded.
   */
  upload(key: string, sources: readonly UploadSource[], options?: UploadOptions): Promise<{ etag: string }>;

  /**
   * Starts a multipart upload of an object whose first bytes are final but whose end is not yet
   * known, for a large file being written sequentially. Undefined when the store cannot.
   */
  begin?(key: string, options?: { metadata?: Record<string, string> }): Promise<PartialUpload>;

  /** Aborts a multipart upload begun by an earlier run (best effort, never throws). */
  abandon?(key: string, uploadId: string): Promise<void>;

  /**
   * Copies an object server-side (CopyObject, or a multipart copy above 5 GiB). With `metadata`
   * the copy gets that metadata, otherwise it keeps the source's.
   */
  copy(fromKey: string, toKey: string, options?: CopyOptions): Promise<{ etag: string }>;

  /**
   * Deletes the object; deleting a missing object is not an error. With `ifMatch` only the
   * object with that ETag goes: another one at the key (a newer upload) stays, which is not an
   * error either. Stores that ignore the condition delete whatever is there.
   */
  delete(key: string, options?: { ifMatch?: string }): Promise<void>;

  /** One page of keys under `prefix` in key order, grouped by `delimiter` when given. */
  list(prefix: string, options?: { delimiter?: string; continuation?: string | null; maxKeys?: number }): Promise<ListPage>;
}

/**
 * What went wrong, in the terms the cache acts on:
 * - "transient": 5xx, throttling (503 SlowDown, 429), timeouts, connection resets: retry later.
 * - "unreachable": the endpoint cannot be reached at all (DNS, refused, connect timeout): retry later, report.
 * - "auth": bad or missing credentials, access denied.
 * - "no-bucket": the bucket does not exist.
 * - "not-found": the object does not exist.
 * - "invalid": a request the store refuses (bad key, entity too large…): retrying will not help.
 */
export type RemoteErrorKind = "transient" | "unreachable" | "auth" | "no-bucket" | "not-found" | "invalid";

export class RemoteError extends Error {
  constructor(
    readonly kind: RemoteErrorKind,
    message: string,
    /** HTTP status when there was a response. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RemoteError";
  }

  /** Worth trying again later: the store or the network may recover. */
  get retryable(): boolean {
    return this.kind === "transient" || this.kind === "unreachable";
  }
}

export function isRemoteError(err: unknown): err is RemoteError {
  return err instanceof RemoteError;
}
