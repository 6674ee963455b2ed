// CONTRACT SKELETON — the content helper replaces every body; signatures are the agreed API.
import type { Logger } from "../util/logger.js";
import type { ContentStore } from "./store.js";

export type Stability = "unstable" | "data_sync" | "file_sync";

export interface ContentCacheOptions {
  /** Dirty bytes held per service before the oldest are written to their stores. */
  maxDirtyBytes: number;
}

export class ContentService {
  constructor(_logger: Logger, _options: ContentCacheOptions) {}
  registerShare(_share: string, _store: ContentStore): void { throw new Error("contract"); }
  unregisterShare(_share: string): Promise<void> { throw new Error("contract"); }
  /** Up to `length` bytes at `offset` (the caller clamps to the file size from metadata). */
  read(_share: string, _contentId: string, _offset: number, _length: number): Promise<Buffer> { throw new Error("contract"); }
  /** Lands in the cache; data_sync/file_sync also make it durable in the store before resolving. */
  write(_share: string, _contentId: string, _offset: number, _data: Buffer, _stability: Stability): Promise<void> { throw new Error("contract"); }
  /** Flushes the file's cached writes to the store and makes them durable. */
  commit(_share: string, _contentId: string): Promise<void> { throw new Error("contract"); }
  truncate(_share: string, _contentId: string, _size: number): Promise<void> { throw new Error("contract"); }
  delete(_share: string, _contentId: string): Promise<void> { throw new Error("contract"); }
  space(_share: string): Promise<{ used: number; available: number }> { throw new Error("contract"); }
  /** Flushes and syncs everything cached (graceful shutdown). */
  flushAll(): Promise<void> { throw new Error("contract"); }
}
