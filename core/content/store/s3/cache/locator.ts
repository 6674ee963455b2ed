import type { RemoteObject } from "./backend.js";

/**
 * Where each file's object lives. The opaque layout keys objects by content id; the bucket
 * layout by path, so a rename moves the object: `target` changes at once, `current` once the
 * object was copied there.
 */
export interface ObjectLocator {
  /** Where the object of `id` belongs (uploads go there); null for an id nobody knows any more. */
  target(id: string): string | null;
  /** Where the object of `id` is now (reads and copies come from there); null when it has none. */
  current(id: string): string | null;
  /** User metadata to store with an upload of `id` (mode, owner, mtime). */
  metadata(id: string): Promise<Record<string, string> | undefined>;
  /** The object of `id` is now at `key` with `etag` (an upload or a move finished). */
  settled(id: string, key: string, etag: string): void;
  /** HEAD showed the object of `id` (with its metadata), which another tool may have written. */
  described?(id: string, object: RemoteObject): void;
  /** Whether another file's object is at `key` or belongs there (keys are shared when paths are). */
  claimedByOther?(key: string, id: string): boolean;
  /**
   * Another file whose object is at `key` now, asked again whenever a job is about to change the
   * key; `leaving` when that object has yet to move to the file's new name (a rename not carried
   * out yet), which must happen before anything else is written at `key`.
   */
  occupant?(key: string, id: string): { id: string; leaving: boolean } | null;
}

/** The opaque layout: one object per content id, keyed by the id. */
export const BY_ID: ObjectLocator = {
  target: (id) => id,
  current: (id) => id,
  metadata: async () => undefined,
  settled: () => {},
};
