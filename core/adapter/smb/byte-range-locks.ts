/**
 * Byte-range locks with Windows semantics (MS-FSA §2.1.5.7, §2.1.4.10), which differ from POSIX
 * locks: they belong to an open (not a process), an exclusive lock conflicts with every lock over
 * its range (the same open's too), an unlock names exactly one lock taken before, and they are
 * mandatory: READ and WRITE of a locked range by another open fail. Offsets are 64-bit.
 */
export interface RangeLock {
  /** The open holding it ("connection:volatile id"). */
  owner: string;
  offset: bigint;
  length: bigint;
  exclusive: boolean;
}

const MAX_END = 1n << 64n;

/**
 * Whether two ranges conflict: they share a byte, or one is empty and its offset lies strictly
 * inside the other (Windows: a zero-length lock at 10 conflicts with [9, 11), not with [10, 12)).
 */
function overlaps(a: { offset: bigint; length: bigint }, offset: bigint, length: bigint): boolean {
  if (a.length === 0n && length === 0n) return false;
  if (a.length === 0n) return offset < a.offset && a.offset < offset + length;
  if (length === 0n) return a.offset < offset && offset < a.offset + a.length;
  return offset < a.offset + a.length && a.offset < offset + length;
}

/** The locks of one file, and the requests waiting for them to go. */
class FileLocks {
  readonly held: RangeLock[] = [];
  readonly waiters = new Set<() => void>();
}

export class ByteRangeLocks {
  private readonly files = new Map<string, FileLocks>();

  /** A range past 2^64 is STATUS_INVALID_LOCK_RANGE for the caller (MS-FSA §2.1.5.7). */
  static validRange(offset: bigint, length: bigint): boolean {
    return offset + length <= MAX_END;
  }

  /** The lock a new one would conflict with, or null. */
  conflict(file: string, owner: string, offset: bigint, length: bigint, exclusive: boolean): RangeLock | null {
    const locks = this.files.get(file);
    if (!locks) return null;
    return (
      locks.held.find((held) => overlaps(held, offset, length) && (exclusive || (held.exclusive && held.owner !== owner))) ?? null
    );
  }

  /** Takes the lock if nothing conflicts; false otherwise. */
  tryLock(file: string, lock: RangeLock): boolean {
    if (this.conflict(file, lock.owner, lock.offset, lock.length, lock.exclusive)) return false;
    this.fileLocks(file).held.push(lock);
    return true;
  }

  /** Drops the one lock of `owner` with exactly this range, an exclusive one before a shared one; false when there is none. */
  unlock(file: string, owner: string, offset: bigint, length: bigint): boolean {
    const locks = this.files.get(file);
    const mine = (held: RangeLock) => held.owner === owner && held.offset === offset && held.length === length;
    let at = locks?.held.findIndex((held) => mine(held) && held.exclusive) ?? -1;
    if (at < 0) at = locks?.held.findIndex(mine) ?? -1;
    if (at < 0) return false;
    locks!.held.splice(at, 1);
    this.changed(file);
    return true;
  }

  /** Drops every lock of an open (it closed) and wakes the file's waiting requests, the open's own among them. */
  releaseOwner(file: string, owner: string): void {
    const locks = this.files.get(file);
    if (!locks) return;
    for (let i = locks.held.length - 1; i >= 0; i--) if (locks.held[i]!.owner === owner) locks.held.splice(i, 1);
    this.changed(file);
  }

  /**
   * Whether `owner` may read (or write) the range: reads are barred by another open's exclusive
   * lock, writes by another open's exclusive lock or anyone's shared lock.
   */
  mayAccess(file: string, owner: string, offset: bigint, length: bigint, write: boolean): boolean {
    const locks = this.files.get(file);
    // A zero-length access touches no locked byte.
    if (!locks || length === 0n) return true;
    return !locks.held.some((held) => overlaps(held, offset, length) && (held.exclusive ? held.owner !== owner : write));
  }

  /**
   * Resolves when the file's locks change (a chance for a waiting lock), or rejects when `signal`
   * aborts. The caller tries again and waits again if it must.
   */
  waitForChange(file: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error("cancelled"));
      const locks = this.fileLocks(file);
      const wake = () => {
        locks.waiters.delete(wake);
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        locks.waiters.delete(wake);
        this.forgetIfEmpty(file);
        reject(new Error("cancelled"));
      };
      locks.waiters.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private fileLocks(file: string): FileLocks {
    let locks = this.files.get(file);
    if (!locks) this.files.set(file, (locks = new FileLocks()));
    return locks;
  }

  private changed(file: string): void {
    const locks = this.files.get(file)!;
    for (const wake of [...locks.waiters]) wake();
    this.forgetIfEmpty(file);
  }

  private forgetIfEmpty(file: string): void {
    const locks = this.files.get(file);
    if (locks && locks.held.length === 0 && locks.waiters.size === 0) this.files.delete(file);
  }
}
