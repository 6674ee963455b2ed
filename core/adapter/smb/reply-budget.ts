/** The READ data one message's replies hold until they are written. */
export interface ReplyHold {
  bytes: number;
}

/**
 * READ data a connection holds in replies not yet handed to the kernel. Past the limit, READs
 * wait for the client to take its replies: a client that pipelines READs and reads nothing back
 * costs this much, not one MiB per message in flight. A message that already holds bytes (a
 * compound chain) may overdraw, one at a time, so chains never wait on each other; a connection
 * holding nothing always proceeds.
 */
export class ReplyBudget {
  private held = 0;
  /** The one message whose replies may run past the limit. */
  private overdraft: ReplyHold | null = null;
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly limit: number) {}

  /** Waits until `bytes` more fit, then charges them to `hold` until release(hold). */
  async hold(hold: ReplyHold, bytes: number): Promise<void> {
    while (!this.closed && this.held > 0 && this.held + bytes > this.limit) {
      if (hold.bytes > 0 && (this.overdraft === null || this.overdraft === hold)) {
        this.overdraft = hold;
        break;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    hold.bytes += bytes;
    this.held += bytes;
  }

  /** The message's replies were written (or dropped): its bytes go back. */
  release(hold: ReplyHold): void {
    this.held -= hold.bytes;
    hold.bytes = 0;
    if (this.overdraft === hold) this.overdraft = null;
    this.wakeAll();
  }

  /** The connection is gone: nobody waits any more. */
  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
