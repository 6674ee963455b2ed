/* global process, Buffer, setTimeout, clearTimeout */
/**
 * Child-process plumbing shared by the e2e tests and the benchmark: run a command to completion
 * with a deadline, and stop processes by PID (never by name).
 */
import { spawn } from "node:child_process";

/** Keeps the last `limit` bytes written to it (a child's stderr can be long). */
export class TailBuffer {
  constructor(limit = 64 * 1024) {
    this.limit = limit;
    this.chunks = [];
    this.bytes = 0;
  }

  push(chunk) {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes > this.limit && this.chunks.length > 1) this.bytes -= this.chunks.shift().length;
  }

  toString() {
    const text = Buffer.concat(this.chunks).toString("utf8");
    return text.length > this.limit ? text.slice(-this.limit) : text;
  }
}

/**
 * Runs `cmd args` and resolves with its exit code, stdout (a Buffer) and stderr (text). Never
 * rejects for a non-zero exit; rejects if the command cannot start. On timeout the process
 * gets SIGKILL and the result has `timedOut: true`.
 */
export function run(cmd, args, { timeoutMs = 120_000, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env ?? process.env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    const stdout = [];
    const stderr = new TailBuffer();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk) => stdout.push(chunk));
    child.stderr.on("data", (chunk) => stderr.push(chunk));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout: Buffer.concat(stdout), stderr: stderr.toString() });
    });
  });
}

/** Like run(), but rejects with the command line, exit status and stderr unless it exits 0. */
export async function runOk(cmd, args, options) {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    const why = result.timedOut ? "timed out" : `exited with ${result.code ?? result.signal}`;
    throw new Error(`${cmd} ${args.join(" ")} ${why}\n${result.stderr}`);
  }
  return result;
}

/** True while a process with this PID exists (and is not a zombie we could still reap). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to `pid`, ignoring a process that is already gone. */
export function signalPid(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if (err.code !== "ESRCH") throw err;
  }
}

/** Resolves once `pid` has gone, or false after `timeoutMs`. For processes we did not spawn. */
export async function waitForPidExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
