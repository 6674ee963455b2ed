import { isFsError } from "../../../errors.js";
import type { StoreUsage } from "../../types.js";

/**
 * usage() counts every node, a full scan of a large table, while clients ask for it often
 * (FSSTAT). This keeps the last count for a short time. This server's own writes adjust the
 * kept count as they commit, so it sees its own changes at once; other servers' changes show up
 * once the count expires.
 *
 * A count is kept only if no write of ours was in flight while it ran: a write that commits
 * around the count may or may not be in it, and adjusting for it could count it twice.
 */
export class UsageCache {
  private value: StoreUsage | null = null;
  private expiresAt = 0;
  private writesInFlight = 0;
  /** Bumped when a write starts or ends. */
  private generation = 0;
  /** A count in progress, shared by callers who ask while nothing has changed since it started. */
  private pending: { generation: number; promise: Promise<StoreUsage> } | null = null;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(count: () => Promise<StoreUsage>): Promise<StoreUsage> {
    if (this.value && this.now() < this.expiresAt) return { ...this.value };
    if (this.pending?.generation !== this.generation) {
      const generation = this.generation;
      const promise = this.refresh(count).finally(() => {
        if (this.pending?.promise === promise) this.pending = null;
      });
      this.pending = { generation, promise };
    }
    return { ...(await this.pending.promise) };
  }

  /**
   * Runs a write. When it succeeds, `delta` says how it changed the files and bytes counted.
   * A write that failed with an FsError answer changed nothing; any other failure (a lost
   * connection around COMMIT) may have changed something, so the kept count is dropped.
   */
  async write<T>(work: () => Promise<T>, delta: (result: T) => StoreUsage): Promise<T> {
    this.writesInFlight++;
    this.generation++;
    try {
      const result = await work();
      if (this.value) {
        const d = delta(result);
        this.value = { files: this.value.files + d.files, bytes: this.value.bytes + d.bytes };
      }
      return result;
    } catch (err) {
      if (!isFsError(err) || err.code === "Io") this.value = null;
      throw err;
    } finally {
      this.writesInFlight--;
      this.generation++;
    }
  }

  private async refresh(count: () => Promise<StoreUsage>): Promise<StoreUsage> {
    const generation = this.generation;
    const quiet = this.writesInFlight === 0;
    const value = await count();
    if (quiet && generation === this.generation) {
      this.value = value;
      this.expiresAt = this.now() + this.ttlMs;
    }
    return value;
  }
}

export const NO_CHANGE: StoreUsage = { files: 0, bytes: 0 };
