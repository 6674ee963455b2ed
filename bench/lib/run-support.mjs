/* global process, console, setTimeout, clearTimeout */
/**
 * What a benchmark entry point needs around its workloads: a registry of stop functions run
 * in reverse order (on success, failure, a signal or the deadline), a log line on stderr,
 * timing (wall clock and per-process CPU) and medians.
 */
import { readFileSync, readdirSync } from "node:fs";
import { performance } from "node:perf_hooks";

export function log(message) {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Seconds `fn` takes. */
export async function timed(fn) {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** USER_HZ: the unit of the CPU times in /proc/PID/stat (100 on Linux everywhere that matters). */
const CLOCK_TICKS = 100;

/** CPU seconds used so far by `pid` itself (`own`) and by its children it has reaped (`reaped`). */
function cpuOf(pid) {
  // Fields after "(comm) ": state is [0], utime [11], stime [12], cutime [13], cstime [14].
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1).split(" ");
  return { own: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, reaped: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS };
}

/** CPU seconds the whole machine has been busy so far (all CPUs: user, system, interrupts). */
function machineBusy() {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq] = ticks;
  return (user + nice + system + irq + softirq) / CLOCK_TICKS;
}

/** CPU seconds used so far by `pid`, its children (live or reaped by it) and theirs: a server with worker processes. */
function treeCpu(pid) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat is the parent PID ([1] after "(comm) ").
      parents.set(Number(entry), Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ").at(-1).split(" ")[1]));
    } catch {
      // Gone meanwhile: its CPU time is in its parent's reaped figure.
    }
  }
  const total = (root) => {
    let seconds = 0;
    try {
      const { own, reaped } = cpuOf(root);
      seconds = own + reaped;
    } catch {
      return 0;
    }
    for (const [child, parent] of parents) if (parent === root) seconds += total(child);
    return seconds;
  };
  return total(pid);
}

/**
 * Runs `fn` and returns its wall-clock seconds and the CPU seconds spent meanwhile by each
 * process in `pids` (name → PID, which must outlive `fn`), by each process tree in `trees`
 * (name → PID of its root), by `client` (this process plus the children it ran to completion
 * meanwhile: nfs-cp, the C client) and by the whole `machine` (which shows what else ran: the
 * kernel's share of loopback traffic, other people's jobs).
 */
export async function measured(pids, fn, trees = {}) {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuOf(pid).own]));
  const treesBefore = Object.fromEntries(Object.entries(trees).map(([name, pid]) => [name, treeCpu(pid)]));
  const self = cpuOf(process.pid);
  const busy = machineBusy();
  const seconds = await timed(fn);
  const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuOf(pid).own - before[name]]));
  for (const [name, pid] of Object.entries(trees)) cpu[name] = treeCpu(pid) - treesBefore[name];
  const after = cpuOf(process.pid);
  cpu.client = after.own - self.own + after.reaped - self.reaped;
  cpu.machine = machineBusy() - busy;
  // Clock ticks are 10 ms; more digits would only be float noise.
  for (const name of Object.keys(cpu)) cpu[name] = Number(cpu[name].toFixed(2));
  return { seconds: Number(seconds.toFixed(3)), cpu };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(value, digits = 1) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** Stop functions of everything started and not yet stopped; the last added runs first. */
export class Cleanups {
  #stops = new Set();

  /** Registers `stop` and returns a function that runs it once and unregisters it. */
  add(stop) {
    this.#stops.add(stop);
    return async () => {
      if (!this.#stops.delete(stop)) return;
      await stop();
    };
  }

  async runAll() {
    for (const stop of [...this.#stops].reverse()) {
      this.#stops.delete(stop);
      try {
        await stop();
      } catch (err) {
        console.error(`cleanup failed: ${err.message}`);
      }
    }
  }
}

/**
 * Runs `main` (which resolves with an exit code) with `cleanups` run afterwards in every case:
 * normal end, exception, SIGINT/SIGTERM, or `deadlineMs` passing. Then exits the process.
 */
export async function runBenchmark(main, cleanups, deadlineMs) {
  const deadline = setTimeout(async () => {
    log(`deadline of ${deadlineMs / 60000} min passed; stopping everything`);
    await cleanups.runAll();
    process.exit(1);
  }, deadlineMs);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, async () => {
      log(`${signal}: stopping everything`);
      await cleanups.runAll();
      process.exit(130);
    });
  }
  let exitCode = 1;
  try {
    exitCode = await main();
  } catch (err) {
    console.error(err.stack ?? err);
  } finally {
    await cleanups.runAll();
    clearTimeout(deadline);
  }
  process.exit(exitCode);
}
