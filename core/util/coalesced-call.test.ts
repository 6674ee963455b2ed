import { describe, expect, it } from "vitest";
import { CoalescedCall } from "./coalesced-call.js";

/** A call whose runs are counted and finish only when the test says so. */
function controlled() {
  const finishes: Array<(err?: Error) => void> = [];
  let started = 0;
  const call = new CoalescedCall(
    () =>
      new Promise<void>((resolve, reject) => {
        started++;
        finishes.push((err) => (err ? reject(err) : resolve()));
      }),
  );
  return { call, finishes, started: () => started };
}

describe("CoalescedCall", () => {
  it("serves callers that arrive during a run with one run after it", async () => {
    const { call, finishes, started } = controlled();
    const first = call.run();
    const waiting = [call.run(), call.run(), call.run()];
    expect(started()).toBe(1);
    let settled = 0;
    for (const p of waiting) void p.then(() => settled++);
    finishes[0]!();
    await first;
    await Promise.resolve();
    // The second run starts only after the first: a caller must see a run that began after it asked.
    expect(started()).toBe(2);
    expect(settled).toBe(0);
    const current = call.current();
    finishes[1]!();
    await Promise.all([...waiting, current]);
    expect(started()).toBe(2);
    // No run under way: current() settles at once and starts nothing.
    await call.current();
    expect(started()).toBe(2);
  });

  it("passes a failure to the callers of that run only, and runs again afterwards", async () => {
    const { call, finishes, started } = controlled();
    const first = call.run();
    const second = call.run();
    finishes[0]!(new Error("disk gone"));
    await expect(first).rejects.toThrow("disk gone");
    await Promise.resolve();
    finishes[1]!();
    await expect(second).resolves.toBeUndefined();
    const third = call.run();
    expect(started()).toBe(3);
    finishes[2]!();
    await third;
  });
});
