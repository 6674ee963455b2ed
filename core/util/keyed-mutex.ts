/**
 * Serializes async work per key (file ids): a body runs only when no earlier body holding any of
 * its keys is still running. Several keys are taken in sorted order, so two callers can never
 * wait on each other. Waiters run in arrival order.
 *
 * A free key is taken without waiting for anything, so the common uncontended call costs no
 * promise of its own; a held key queues its waiters, and releasing it hands it to the first.
 */
export class KeyedMutex {
  /** Keys held right now, each with the waiters queued for it. */
  private readonly held = new Map<string, Array<() => void>>();

  async run<T>(keys: readonly string[], body: () => Promise<T>): Promise<T> {
    const ordered = keys.length === 1 ? keys : [...new Set(keys)].sort();
    let taken = 0;
    try {
      for (const key of ordered) {
        const waiters = this.held.get(key);
        if (waiters) await new Promise<void>((resolve) => waiters.push(resolve));
        else this.held.set(key, []);
        taken++;
      }
      return await body();
    } finally {
      for (let i = 0; i < taken; i++) this.release(ordered[i]!);
    }
  }

  /** Hands the key to its first waiter (who then holds it), or frees it. */
  private release(key: string): void {
    const next = this.held.get(key)?.shift();
    if (next) next();
    else this.held.delete(key);
  }
}
