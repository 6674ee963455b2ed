/** A connection as the budget sees it: something to wake when reading may go on. */
export interface BudgetHolder {
  wake(): void;
}

/**
 * One byte budget shared by a server's connections: the bytes of records read and not yet done
 * with (unread chunks, records being assembled, records of running calls). Past the limit,
 * connections stop reading from their sockets (back-pressure) instead of allocating more, and
 * they are woken as calls finish.
 *
 * When no call is running, nothing would ever give bytes back, and connections that each hold
 * part of a record would wait on each other forever. Then one connection at a time may read past
 * the limit to finish one record (the overdraft): the budget is exceeded by at most one record
 * and the chunks sockets had already read.
 */
export class InflightBudget {
  private used = 0;
  private runningCalls = 0;
  private overdraft: BudgetHolder | null = null;
  private readonly waiting = new Set<BudgetHolder>();
  private wakeScheduled = false;

  constructor(readonly limit: number) {}

  /** Bytes charged right now, across all connections. */
  get bytes(): number {
    return this.used;
  }

  /** Adds `delta` (negative to give back) to the bytes charged. */
  charge(delta: number): void {
    this.used += delta;
    if (delta < 0 && this.used < this.limit) this.scheduleWake();
  }

  callStarted(): void {
    this.runningCalls++;
  }

  callFinished(): void {
    // The last call gone: a waiter may now need the overdraft.
    if (--this.runningCalls === 0 && this.used >= this.limit) this.scheduleWake();
  }

  /**
   * Whether `holder` may read and assemble records now. `midRecord` says it holds bytes of a
   * record, which entitles it to the overdraft when that is needed and free. A holder refused
   * now is woken when that may have changed.
   */
  mayRead(holder: BudgetHolder, midRecord: boolean): boolean {
    if (this.overdraft === holder || this.used < this.limit) return true;
    if (midRecord && this.overdraft === null && this.runningCalls === 0) {
      this.overdraft = holder;
      return true;
    }
    this.waiting.add(holder);
    return false;
  }

  /** `holder` has finished its record: the overdraft may go to another connection. */
  releaseOverdraft(holder: BudgetHolder): void {
    if (this.overdraft !== holder) return;
    this.overdraft = null;
    this.scheduleWake();
  }

  /** `holder` is gone. */
  forget(holder: BudgetHolder): void {
    this.waiting.delete(holder);
    this.releaseOverdraft(holder);
  }

  /** Wakes waiters on the next turn, not inside the caller's own pump. */
  private scheduleWake(): void {
    if (this.wakeScheduled || this.waiting.size === 0) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      const waiting = [...this.waiting];
      this.waiting.clear();
      for (const holder of waiting) holder.wake();
    });
  }
}
