import type { Logger } from "./logger.js";

export interface BackgroundQueueOptions<K> {
  /** What one job does, for the log ("refreshing a listing of the bucket"). */
  what: string;
  /** Jobs running at once. */
  concurrency: number;
  /** Jobs waiting beyond this are refused; whoever offered them offers them again later. */
  maxQueued: number;
  /** The pause after a failure, doubled at each further failure up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /**
   * Does the job. It throws only when trying again later may help (the remote store is down):
   * the job then goes back to the queue and every job waits out the backoff. Anything else the
   * job handles itself.
   */
  run: (key: K) => Promise<void>;
  logger: Logger;
}

/**
 * Work nobody waits for, such as refreshing a listing or fetching an object's metadata: bounded
 * in concurrency and queue length, one job per key at a time, paused with a growing backoff
 * while it fails (logged once per outage, not once per job), and dropped on close.
 */
export class BackgroundQueue<K> {
  private readonly waiting = new Set<K>();
  private readonly running = new Set<K>();
  private failures = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: BackgroundQueueOptions<K>) {}

  /** Queues a job for `key` unless one is queued already; false when it was refused (full or closed). */
  add(key: K): boolean {
    if (this.closed) return false;
    if (this.waiting.has(key)) return true;
    if (this.waiting.size >= this.options.maxQueued) return false;
    this.waiting.add(key);
    this.pump();
    return true;
  }

  /** Jobs queued or running. */
  get size(): number {
    return this.waiting.size + this.running.size;
  }

  /** Drops every queued job; running ones finish, and what they throw is ignored. */
  close(): void {
    this.closed = true;
    this.waiting.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private pump(): void {
    if (this.closed || this.timer) return;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      this.timer.unref();
      return;
    }
    for (const key of this.waiting) {
      if (this.running.size >= this.options.concurrency) return;
      // A key already running is queued again behind itself, never run twice at once.
      if (this.running.has(key)) continue;
      this.waiting.delete(key);
      this.running.add(key);
      this.options.run(key).then(
        () => this.finished(key, null),
        (err: unknown) => this.finished(key, err),
      );
    }
  }

  private finished(key: K, err: unknown): void {
    this.running.delete(key);
    if (this.closed) return;
    const { logger, what } = this.options;
    if (err === null) {
      if (this.failures > 0) logger.info(`${what} works again`);
      this.failures = 0;
    } else {
      const message = (err as Error)?.message ?? String(err);
      const pauseMs = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** Math.min(this.failures, 30));
      if (this.failures === 0) logger.warn({ err: message }, `${what} failed; trying again in the background with a growing pause`);
      else logger.debug({ err: message, pauseMs }, `${what} failed again`);
      this.failures++;
      this.pausedUntil = Date.now() + pauseMs;
      if (this.waiting.size < this.options.maxQueued) this.waiting.add(key);
    }
    this.pump();
  }
}
