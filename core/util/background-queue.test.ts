import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { BackgroundQueue } from "./background-queue.js";

/** A job per key that finishes (or fails) when the test says so. */
function gatedJobs() {
  const gates = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  const started: string[] = [];
  const run = (key: string) =>
    new Promise<void>((resolve, reject) => {
      started.push(key);
      gates.set(key, { resolve, reject });
    });
  const settle = async (key: string, err?: Error) => {
    const gate = gates.get(key)!;
    gates.delete(key);
    if (err) gate.reject(err);
    else gate.resolve();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { run, settle, started, running: () => [...gates.keys()] };
}

function recordingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, warnings: () => lines.filter((line) => line.level >= 40).map((line) => line.msg), infos: () => lines.filter((line) => line.level === 30).map((line) => line.msg) };
}

describe("a bounded background queue", () => {
  it("runs at most `concurrency` jobs at once, one per key, and refuses jobs beyond `maxQueued`", async () => {
    const jobs = gatedJobs();
    const queue = new BackgroundQueue({ what: "testing", concurrency: 2, maxQueued: 2, backoffMs: 10, maxBackoffMs: 10, run: jobs.run, logger: recordingLogger().logger });
    expect(["a", "b", "c", "d"].map((key) => queue.add(key))).toEqual([true, true, true, true]);
    expect(jobs.running()).toEqual(["a", "b"]);
    // c and d wait; a queued key is not queued twice, and the queue is full.
    expect(queue.add("c")).toBe(true);
    expect(queue.add("e")).toBe(false);
    expect(queue.size).toBe(4);
    await jobs.settle("a");
    expect(jobs.running()).toEqual(["b", "c"]);
    // A key queued while it runs waits for its own run to end.
    expect(queue.add("c")).toBe(true);
    await jobs.settle("b");
    expect(jobs.running()).toEqual(["c", "d"]);
    await jobs.settle("c");
    expect(jobs.running()).toEqual(["d", "c"]);
    expect(jobs.started).toEqual(["a", "b", "c", "d", "c"]);
    queue.close();
  });

  it("pauses every job after a failure, retries the failed one, and logs the outage once", async () => {
    const jobs = gatedJobs();
    const { logger, warnings, infos } = recordingLogger();
    const queue = new BackgroundQueue({ what: "testing", concurrency: 1, maxQueued: 10, backoffMs: 100, maxBackoffMs: 200, run: jobs.run, logger });
    queue.add("a");
    queue.add("b");
    await jobs.settle("a", new Error("S3 is down"));
    // Paused: nothing runs until the backoff is over, then b, then a again.
    expect(jobs.running()).toEqual([]);
    await expect.poll(jobs.running).toEqual(["b"]);
    await jobs.settle("b", new Error("S3 is down"));
    await expect.poll(jobs.running).toEqual(["a"]);
    await jobs.settle("a", new Error("S3 is still down"));
    await expect.poll(jobs.running).toEqual(["b"]);
    await jobs.settle("b");
    await expect.poll(jobs.running).toEqual(["a"]);
    await jobs.settle("a");
    expect(jobs.started).toEqual(["a", "b", "a", "b", "a"]);
    expect(warnings()).toEqual(["testing failed; trying again in the background with a growing pause"]);
    expect(infos()).toEqual(["testing works again"]);
    queue.close();
  });

  it("drops queued jobs on close and ignores what running ones end with", async () => {
    const jobs = gatedJobs();
    const { logger, warnings } = recordingLogger();
    const queue = new BackgroundQueue({ what: "testing", concurrency: 1, maxQueued: 10, backoffMs: 10, maxBackoffMs: 10, run: jobs.run, logger });
    queue.add("a");
    queue.add("b");
    queue.close();
    expect(queue.add("c")).toBe(false);
    await jobs.settle("a", new Error("closing"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(jobs.started).toEqual(["a"]);
    expect(warnings()).toEqual([]);
  });
});
