import { describe, expect, it } from "vitest";
import { KeyedRwLock } from "./keyed-rw-lock.js";
import { gate, tick } from "../testing/gate.js";

describe("KeyedRwLock", () => {
  it("lets shared holders run together and an exclusive holder alone, in arrival order", async () => {
    const lock = new KeyedRwLock();
    const order: string[] = [];
    const readers = gate();
    const writer = gate();
    const r1 = lock.shared("k", async () => (order.push("r1"), await readers.opened, order.push("r1 end")));
    const r2 = lock.shared("k", async () => (order.push("r2"), await readers.opened, order.push("r2 end")));
    const w = lock.exclusive("k", async () => (order.push("w"), await writer.opened, order.push("w end")));
    // Arrives after the writer: waits for it rather than joining the readers.
    const r3 = lock.shared("k", async () => void order.push("r3"));
    const other = lock.exclusive("other", async () => void order.push("other key"));
    await tick();
    expect(order).toEqual(["r1", "r2", "other key"]);
    readers.open();
    await tick();
    expect(order).toEqual(["r1", "r2", "other key", "r1 end", "r2 end", "w"]);
    writer.open();
    await Promise.all([r1, r2, w, r3, other]);
    expect(order.slice(-2)).toEqual(["w end", "r3"]);
  });

  it("releases the lock when a body throws, and forgets idle keys", async () => {
    const lock = new KeyedRwLock();
    await expect(lock.exclusive("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(lock.shared("k", async () => 1)).resolves.toBe(1);
    await expect(lock.exclusive("k", async () => 2)).resolves.toBe(2);
    expect((lock as unknown as { states: Map<string, unknown> }).states.size).toBe(0);
  });
});
