import { randomBytes } from "node:crypto";
import type { RemoteCacheStatus } from "./remote-status.js";
import type { MetadataStore } from "../metadata/store.js";

/**
 * The content store: bytes of regular files addressed by content id, nothing else. Content ids
 * are chosen by the ContentService (random, globally unique); a store must reject ids that are
 * not `[A-Za-z0-9_-]{1,128}` with FsError("Invalid") so that no id can ever become a path or key
 * outside the store's space.
 *
 * Reading past the end returns the bytes that exist (possibly none); a hole reads as zeros.
 * Reading or truncating content that was never written behaves as an empty file.
 */
export interface ContentStore {
  /** "memory", "fs", "s3": for logs and status. */
  readonly kind: string;

  /**
   * Up to `length` bytes from `offset`; fewer only at the end of the content. The buffer
   * belongs to the caller (a fresh copy, never a view of the store's own memory). With `into`
   * (at least `length` bytes) the bytes land there and the result is a view of its start, so
   * that a caller can reuse one buffer for many reads.
   */
  read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer>;

  /** The store must not keep `data` after the promise settles: the caller reuses the buffer. */
  write(id: string, offset: number, data: Buffer): Promise<void>;

  truncate(id: string, size: number): Promise<void>;

  /** Current length of the content (0 when it was never written). */
  size(id: string): Promise<number>;

  /** Makes everything written to `id` so far durable (fsync for the fs store). */
  sync(id: string): Promise<void>;

  /** Removes the content; deleting content that does not exist is not an error. */
  delete(id: string): Promise<void>;

  /** Bytes held and bytes still available (Infinity when unbounded), for FSSTAT. */
  space(): Promise<{ used: number; available: number }>;

  close(): Promise<void>;

  /**
   * Stores whose bytes live in a remote object store behind a local cache (s3): sync() makes
   * changes durable locally and queues them; this resolves once everything written to `id`
   * before the call is in the remote store, and fails with FsError("Io") after the store's
   * remote timeout.
   */
  waitRemote?(id: string): Promise<void>;

  /** Upload queue, cache and last error of a store with a remote side (s3). */
  remoteStatus?(): RemoteCacheStatus;

  /**
   * Runs again the uploads and deletes a permanent failure stopped (status `stalled`), say after
   * new credentials; returns how many were queued.
   */
  retryUploads?(): number;

  /**
   * Stores with a remote side keep the content of `id` on this computer only ("local": files
   * with litter names, ShareConfig.litter) or in the remote store ("remote", the default) from
   * now on, moving the bytes they hold. `fresh`: the content is new (its file is being created)
   * and has nothing to move yet.
   */
  place?(id: string, where: ContentPlace, fresh?: boolean): Promise<void>;

  /**
   * Stores whose files other programs read and write directly (the fs store's folder layout)
   * take every write at once instead of through the write-back cache, so that the disk always
   * holds what clients wrote, and are not read ahead, so that a change made on disk is read.
   */
  readonly writesInPlace?: boolean;

  /**
   * Stores that hold the namespace themselves (s3, bucket layout: keys are paths) return the
   * metadata store the share must use, wrapping `inner` (the configured one, as a cache);
   * others return null.
   */
  namespace?(inner: MetadataStore, owner: ShareOwner): MetadataStore | null;
}

export type ContentPlace = "local" | "remote";

/** Who owns what a store holds without saying (objects put into a bucket by other tools). */
export interface ShareOwner {
  uid: number;
  gid: number;
}

const CONTENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** A fresh random content id (32 lower-case hex digits: safe on case-insensitive file systems). */
export function newContentId(): string {
  return randomBytes(16).toString("hex");
}

export function isValidContentId(id: string): boolean {
  return CONTENT_ID.test(id);
}
