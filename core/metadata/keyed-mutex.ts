/**
 * Serializes async work per key (file ids): a body runs only when no earlier body holding any of
 * its keys is still running. Several keys are taken in sorted order, so two callers can never
 * wait on each other. Waiters run in arrival order.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(keys: readonly string[], body: () => Promise<T>): Promise<T> {
    const ordered = keys.length === 1 ? keys : [...new Set(keys)].sort();
    const releases: (() => void)[] = [];
    try {
      for (const key of ordered) releases.push(await this.acquire(key));
      return await body();
    } finally {
      for (const release of releases) release();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(key, mine);
    if (previous) await previous;
    return () => {
      if (this.tails.get(key) === mine) this.tails.delete(key);
      release();
    };
  }
}
