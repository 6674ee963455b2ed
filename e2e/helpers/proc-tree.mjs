/* global setTimeout */
/**
 * Processes a test or benchmark started indirectly (smbd's per-connection children, the gvfs
 * daemons a private D-Bus activates): found by walking /proc from a PID we spawned, stopped by PID.
 */
import { readFileSync, readdirSync } from "node:fs";
import { signalPid } from "./proc.mjs";

/** PIDs of every live descendant of `root` (not `root` itself), children before grandchildren. */
export function descendants(root) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat is the parent PID ([1] after "(comm) ").
      const parent = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ").at(-1).split(" ")[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  const found = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.shift();
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** True once `pid` is gone or a zombie (an orphan nobody reaps here still shows up in /proc). */
function gone(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1).startsWith("Z");
  } catch {
    return true;
  }
}

async function waitGone(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!gone(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** SIGTERM to each PID, then SIGKILL to those still there after `timeoutMs`. */
export async function stopPids(pids, timeoutMs = 10_000) {
  for (const pid of pids) signalPid(pid, "SIGTERM");
  for (const pid of pids) {
    if (!(await waitGone(pid, timeoutMs))) {
      signalPid(pid, "SIGKILL");
      await waitGone(pid, 5_000);
    }
  }
}

/** Stops `root` and everything under it, the whole tree seen before the first signal. */
export async function stopTree(root, timeoutMs) {
  const tree = [root, ...descendants(root)];
  await stopPids(tree, timeoutMs);
}
