import { fsError } from "../errors.js";
import type { Logger } from "../util/logger.js";

/** Where leases live: a metadata store that several servers share (PostgreSQL). */
export interface LeaseTable {
  acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(key: string, holder: string): Promise<void>;
}

export interface WriteLeaseOptions {
  /** How long a lease lasts unless renewed: how long others wait for a server that died. */
  ttlMs?: number;
  /** A file unchanged this long is settled (in the remote store) and its lease given back. */
  quietMs?: number;
}

interface HeldLease {
  /** Changes of the file running now. */
  active: number;
  lastChange: number;
  renewAt: number;
  /** A renewal under way. */
  renewing: Promise<void> | null;
  /** Settling and releasing, once quiet. */
  releasing: Promise<void> | null;
}

const DEFAULT_TTL_MS = 30_000;
const DEFAULT_QUIET_MS = 1_000;
const CLOSE_GRACE_MS = 10_000;

/**
 * One server's write leases on files of a share that several servers share (PostgreSQL metadata,
 * S3 content). Each server uploads a file as its own cached changes over the object it finds, so
 * two servers writing one file at once would each upload a version without the other's bytes,
 * and the last upload would win. A server therefore changes a file's content only while it holds
 * the file's lease; another server's change meanwhile is refused with TryLater (NFS3ERR_JUKEBOX:
 * the client retries). Once a file has been quiet for `quietMs`, its changes are settled (written
 * back and uploaded) and the lease is given back, so the next server's upload starts from an
 * object that holds them. Leases are renewed while held; one of a server that died expires
 * after `ttlMs`.
 */
export class WriteLeases {
  private readonly held = new Map<string, HeldLease>();
  private readonly ttlMs: number;
  private readonly quietMs: number;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly table: LeaseTable,
    /** This server, as other servers see it in the lease table. */
    readonly holder: string,
    /** Makes everything written to a content id so far reach the remote store. */
    private readonly settle: (contentId: string) => Promise<void>,
    private readonly logger: Logger,
    options: WriteLeaseOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
    this.timer = setInterval(() => this.tick(), Math.min(this.quietMs, this.ttlMs / 3) / 2);
    this.timer.unref();
  }

  /** Runs a change of the content under its lease; FsError("TryLater") while another server holds it. */
  async change<T>(contentId: string, body: () => Promise<T>): Promise<T> {
    const lease = await this.hold(contentId);
    lease.active++;
    try {
      return await body();
    } finally {
      lease.active--;
      lease.lastChange = Date.now();
    }
  }

  /**
   * Settles and gives back every lease (shutdown, after the caches were flushed), waiting at most
   * `graceMs`: a lease whose file cannot reach the remote store in time expires on its own.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all([...this.held.keys()].map((id) => this.release(id))), late]);
    clearTimeout(timer);
  }

  private async hold(contentId: string): Promise<HeldLease> {
    if (this.closed) throw fsError("Io", "write leases are closed");
    for (;;) {
      const lease = this.held.get(contentId);
      if (lease?.releasing) {
        await lease.releasing;
        continue;
      }
      if (lease && lease.renewAt > Date.now()) return lease;
      await this.acquire(contentId);
      const acquired = this.held.get(contentId);
      if (acquired && !acquired.releasing) return acquired;
    }
  }

  private async acquire(contentId: string): Promise<void> {
    if (!(await this.table.acquireLease(contentId, this.holder, this.ttlMs))) {
      throw fsError("TryLater", `file content ${contentId} is being written through another server; try again`);
    }
    const now = Date.now();
    const lease = this.held.get(contentId);
    if (lease) lease.renewAt = now + this.ttlMs / 3;
    else this.held.set(contentId, { active: 0, lastChange: now, renewAt: now + this.ttlMs / 3, renewing: null, releasing: null });
  }

  private tick(): void {
    const now = Date.now();
    for (const [contentId, lease] of this.held) {
      // Renewed while settling too: an upload may take longer than the lease lasts.
      if (lease.renewAt <= now && !lease.renewing) {
        lease.renewing = this.acquire(contentId)
          .catch((err: unknown) =>
            // Another server may take the file over once the lease expires.
            this.logger.error({ err, contentId }, "could not renew a write lease"),
          )
          .finally(() => (lease.renewing = null));
      }
      if (!lease.releasing && lease.active === 0 && now - lease.lastChange >= this.quietMs) void this.release(contentId);
    }
  }

  /** Settles the file's changes, then gives the lease back; a failure keeps it for a later try. */
  private release(contentId: string): Promise<void> {
    const lease = this.held.get(contentId);
    if (!lease) return Promise.resolve();
    lease.releasing ??= (async () => {
      try {
        await this.settle(contentId);
        // No renewal may land after the release and take the lease again.
        lease.renewAt = Infinity;
        await lease.renewing;
        await this.table.releaseLease(contentId, this.holder);
        this.held.delete(contentId);
      } catch (err) {
        this.logger.warn({ err, contentId }, "could not settle a file to give back its write lease; trying again");
        lease.renewAt = 0;
        lease.lastChange = Date.now();
        lease.releasing = null;
      }
    })();
    return lease.releasing;
  }
}
