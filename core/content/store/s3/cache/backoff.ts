import { setTimeout as sleep } from "node:timers/promises";
import { FsError } from "../../../../errors.js";
import type { Logger } from "../../../../util/logger.js";
import { isRemoteError } from "./backend.js";
import type { StatusEvents } from "./status-events.js";

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
/** Work stopped by a failure retrying does not fix (rejected credentials…) is tried again this often. */
const PARKED_RETRY_MS = 5 * 60_000;

/** The pause before try number `attempt` (from 0) of something that failed: doubling, capped. */
export function retryPause(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt);
}

/** Waits before trying again after `attempt` failures, with jitter so retries spread out. */
export async function backoff(attempt: number): Promise<void> {
  await sleep(retryPause(attempt) * (0.75 + Math.random() / 2));
}

/** A failure that trying again will not fix: rejected credentials, a missing bucket, a refused request. */
export function isPermanent(err: unknown): boolean {
  // Failures met on the way (looking the object up) arrive wrapped as the caller's FsError.
  const remote = err instanceof FsError ? err.cause : err;
  return isRemoteError(remote) && !remote.retryable && remote.kind !== "not-found";
}

/**
 * Work stopped by a failure retrying does not fix (credentials rejected, access denied, clock
 * skew), by id, with why. It stays journaled and runs again after a retry (retryUploads()),
 * every PARKED_RETRY_MS, at its next sync, and at the next start.
 */
export class Parking {
  private readonly parked = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly remote: string,
    private readonly logger: Logger,
    private readonly events: StatusEvents,
    retry: () => void,
  ) {
    this.timer = setInterval(() => {
      if (this.parked.size > 0) retry();
    }, PARKED_RETRY_MS);
    this.timer.unref();
  }

  /** Stops the work of `id` after a failure retrying does not fix; it stays journaled. */
  park(id: string, reason: string): void {
    if (!this.parked.has(id)) {
      this.logger.error({ remote: this.remote, id }, `stopped uploading until the problem is fixed (the change is kept): ${reason}`);
    }
    this.parked.set(id, reason);
    this.events.statusChanged();
  }

  has(id: string): boolean {
    return this.parked.has(id);
  }

  /** The work of `id` runs again (a new sync, a retry): no longer stopped. */
  release(id: string): void {
    this.parked.delete(id);
  }

  /** Releases everything stopped; returns the ids. */
  releaseAll(): string[] {
    const ids = [...this.parked.keys()];
    this.parked.clear();
    return ids;
  }

  get size(): number {
    return this.parked.size;
  }

  /** Why the work stopped last was stopped; undefined when none is. */
  get lastReason(): string | undefined {
    return [...this.parked.values()].at(-1);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
