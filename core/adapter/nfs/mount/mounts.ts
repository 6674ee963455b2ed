import type { MountEntry } from "../../../protocol/nfs/mount/types.js";

/**
 * The mount list DUMP reports (RFC 1813 §5.2.2): which client mounted which path, recorded by
 * MNT and removed by UMNT / UMNTALL. Advisory only (clients that vanish never unmount), so it is
 * kept in memory and bounded: past the limit the oldest entries make room.
 */
export class MountTable {
  private readonly entries = new Map<string, MountEntry>();

  constructor(private readonly limit = 10_000) {}

  add(hostname: string, directory: string): void {
    const key = keyOf(hostname, directory);
    this.entries.delete(key);
    this.entries.set(key, { hostname, directory });
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  remove(hostname: string, directory: string): void {
    this.entries.delete(keyOf(hostname, directory));
  }

  removeHost(hostname: string): void {
    for (const [key, entry] of this.entries) {
      if (entry.hostname === hostname) this.entries.delete(key);
    }
  }

  list(): MountEntry[] {
    return [...this.entries.values()];
  }
}

function keyOf(hostname: string, directory: string): string {
  return `${hostname}\0${directory}`;
}
