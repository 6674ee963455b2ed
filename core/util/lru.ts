/**
 * A map of at most `capacity` entries that keeps the recently used ones: entries live in a young
 * and an old generation; a hit in the old one moves the entry to the young one, and when the
 * young one is full it becomes the old one, dropping whatever was not used meanwhile.
 *
 * Why not a strict LRU over one Map (delete and re-insert on every hit): V8's Map leaves a
 * deleted slot in the key's hash chain until the next rehash, so re-inserting one hot key over
 * and over makes each lookup of it walk thousands of dead slots (~10 µs measured).
 */
export class LruMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly generationSize: number;

  constructor(capacity: number) {
    this.generationSize = Math.max(1, Math.floor(capacity / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) {
      this.old.delete(key);
      this.keep(key, old);
    }
    return old;
  }

  set(key: K, value: V): void {
    this.old.delete(key);
    this.keep(key, value);
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private keep(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
