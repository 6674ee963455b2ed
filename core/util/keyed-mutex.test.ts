import { describe, expect, it } from "vitest";
import { KeyedMutex } from "./keyed-mutex.js";
import { gate, tick } from "../testing/gate.js";

describe("KeyedMutex", () => {
  it("runs bodies of one key one at a time, in arrival order", async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const first = gate();
    const a = mutex.run(["k"], async () => {
      order.push("a start");
      await first.opened;
      order.push("a end");
    });
    const b = mutex.run(["k"], async () => void order.push("b"));
    const c = mutex.run(["k"], async () => void order.push("c"));
    await tick();
    expect(order).toEqual(["a start"]);
    first.open();
    await Promise.all([a, b, c]);
    expect(order).toEqual(["a start", "a end", "b", "c"]);
  });

  it("lets bodies of different keys run at the same time", async () => {
    const mutex = new KeyedMutex();
    const held = gate();
    const running: string[] = [];
    const a = mutex.run(["a"], async () => {
      running.push("a");
      await held.opened;
    });
    const b = mutex.run(["b"], async () => void running.push("b"));
    await b;
    expect(running).toEqual(["a", "b"]);
    held.open();
    await a;
  });

  it("frees the key when a body fails, and passes the failure on", async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run(["k"], async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(
      mutex.run(["k"], () => {
        throw new Error("sync boom");
      }),
    ).rejects.toThrow("sync boom");
    expect(await mutex.run(["k"], async () => 42)).toBe(42);
  });

  it("takes several keys in sorted order, so crossing callers cannot deadlock", async () => {
    const mutex = new KeyedMutex();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mutex.run(i % 2 ? ["x", "y"] : ["y", "x", "y"], async () => {
          await tick();
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Everything was released: a new caller gets both keys at once.
    expect(await mutex.run(["y", "x"], async () => "free")).toBe("free");
  });
});
