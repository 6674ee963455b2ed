import type { EventEmitter } from "node:events";
import { FsError, fsError } from "../../../../errors.js";
import type { Logger } from "../../../../util/logger.js";
import type { RemoteCacheEvents, RemoteCacheStatus, RemoteFailure } from "../../../remote-status.js";

const STATUS_EVERY_MS = 250;

/**
 * What the cache tells about the remote store: the last failure (until something succeeds
 * again), and the events a RemoteCache emits, status changes throttled to a few per second.
 */
export class StatusEvents {
  /** The last failure talking to the remote store; null once an operation succeeds again. */
  lastError: RemoteFailure | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly events: EventEmitter<RemoteCacheEvents>,
    private readonly remote: string,
    private readonly logger: Logger,
    private readonly status: () => RemoteCacheStatus,
  ) {}

  /** Records a failure of the remote store and returns it as an FsError for the caller. */
  failed(err: unknown, what: string): FsError {
    if (err instanceof FsError) return err;
    const message = `${what} on ${this.remote} failed: ${(err as Error)?.message ?? String(err)}`;
    if (this.lastError?.message !== message) this.logger.warn({ remote: this.remote }, message);
    this.lastError = { message, at: new Date().toISOString() };
    this.events.emit("failure", this.lastError);
    this.statusChanged();
    return fsError("Io", message, err);
  }

  succeeded(): void {
    if (!this.lastError) return;
    this.logger.info({ remote: this.remote }, "remote store reachable again");
    this.lastError = null;
    this.statusChanged();
  }

  uploaded(key: string, bytes: number): void {
    this.events.emit("uploaded", { key, bytes });
  }

  statusChanged(): void {
    if (this.timer || this.stopped || this.events.listenerCount("status") === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.events.emit("status", this.status());
    }, STATUS_EVERY_MS);
    this.timer.unref();
  }

  /** The cache closed: no more status events. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
