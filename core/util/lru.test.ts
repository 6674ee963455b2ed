import { describe, expect, it } from "vitest";
import { LruMap } from "./lru.js";

describe("LruMap", () => {
  it("keeps what was used during the last generation and drops the rest", () => {
    const map = new LruMap<string, number>(4);
    map.set("a", 1);
    map.set("b", 2); // the young generation (2 entries) is full: a and b become old
    expect(map.get("a")).toBe(1); // used: back to the young generation
    map.set("c", 3); // young full again: a and c become old, b is dropped
    expect(map.get("b")).toBeUndefined();
    expect(map.get("a")).toBe(1);
    expect(map.get("c")).toBe(3);
    expect(map.size).toBeLessThanOrEqual(4);
  });

  it("never holds more than its capacity", () => {
    const map = new LruMap<number, number>(10);
    for (let i = 0; i < 1000; i++) {
      map.set(i, i);
      expect(map.size).toBeLessThanOrEqual(10);
    }
    expect(map.get(999)).toBe(999);
  });

  it("replaces, deletes and clears", () => {
    const map = new LruMap<string, string>(8);
    map.set("k", "old");
    map.set("k", "new");
    expect(map.get("k")).toBe("new");
    map.delete("k");
    expect(map.get("k")).toBeUndefined();
    map.set("x", "1");
    map.clear();
    expect(map.size).toBe(0);
  });

  it("serves one hot key repeatedly without slowing down", () => {
    const map = new LruMap<number, number>(16_384);
    for (let i = 0; i < 5000; i++) map.set(i, i);
    const start = performance.now();
    for (let i = 0; i < 200_000; i++) map.get(7);
    // A strict LRU over one Map (delete and re-insert per hit) takes seconds here.
    expect(performance.now() - start).toBeLessThan(500);
  });
});
