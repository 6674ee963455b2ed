/**
 * A readers-writer lock per key (file ids): any number of shared holders at once, or one
 * exclusive holder. Waiters are served in arrival order, so a waiting exclusive holder keeps new
 * shared holders out and is never starved. WRITEs of one file share it (their size updates
 * commute); a truncation or the removal of the file's content takes it alone.
 */
export class KeyedRwLock {
  private readonly states = new Map<string, LockState>();

  shared<T>(key: string, body: () => Promise<T>): Promise<T> {
    return this.run(key, false, body);
  }

  exclusive<T>(key: string, body: () => Promise<T>): Promise<T> {
    return this.run(key, true, body);
  }

  private async run<T>(key: string, exclusive: boolean, body: () => Promise<T>): Promise<T> {
    let state = this.states.get(key);
    if (!state) {
      state = { shared: 0, exclusive: false, waiters: [] };
      this.states.set(key, state);
    }
    if (state.exclusive || state.waiters.length > 0 || (exclusive && state.shared > 0)) {
      await new Promise<void>((grant) => state.waiters.push({ exclusive, grant }));
    } else if (exclusive) {
      state.exclusive = true;
    } else {
      state.shared++;
    }
    try {
      return await body();
    } finally {
      if (exclusive) state.exclusive = false;
      else state.shared--;
      this.grantWaiters(key, state);
    }
  }

  /** Lets in the waiters at the head of the queue that may now hold the lock. */
  private grantWaiters(key: string, state: LockState): void {
    while (state.waiters.length > 0 && !state.exclusive) {
      const next = state.waiters[0]!;
      if (next.exclusive && state.shared > 0) break;
      state.waiters.shift();
      if (next.exclusive) state.exclusive = true;
      else state.shared++;
      next.grant();
    }
    if (!state.exclusive && state.shared === 0 && state.waiters.length === 0) this.states.delete(key);
  }
}

interface LockState {
  shared: number;
  exclusive: boolean;
  waiters: Array<{ exclusive: boolean; grant: () => void }>;
}
