/**
 * Runs one mount command: no shell, stdin written then closed, output kept to a bound (gio and
 * net use print little, but a confused tool must not fill memory), killed after a deadline.
 */
import { spawn } from "node:child_process";
import type { Command } from "./types.js";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Bytes kept of each of stdout and stderr; the first ones, the rest is dropped. */
  maxOutputBytes?: number;
}

export type CommandRunner = (command: Command, options?: RunOptions) => Promise<RunResult>;

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 256 * 1024;
/** After SIGTERM at the deadline, a command that does not exit gets SIGKILL. */
const KILL_GRACE_MS = 2_000;

class BoundedText {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.bytes;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.bytes += kept.length;
  }

  toString(): string {
    return Buffer.concat(this.chunks).toString("utf8") + (this.truncated ? "\n[output truncated]" : "");
  }
}

/** Resolves with how the command ended, whatever its exit code; rejects only if it cannot start. */
export const runCommand: CommandRunner = (command, options = {}) =>
  new Promise((resolve, reject) => {
    const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const child = spawn(command.command, command.args, {
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
      windowsHide: true,
    });
    const stdout = new BoundedText(limit);
    const stderr = new BoundedText(limit);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      clearTimeout(killTimer);
    };
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    // A command that exits without reading its stdin closes the pipe; its exit code says why.
    child.stdin.on("error", () => {});
    child.on("error", (err: NodeJS.ErrnoException) => {
      done();
      reject(err.code === "ENOENT" ? new Error(`${command.command} is not installed or not on the PATH`, { cause: err }) : err);
    });
    child.on("close", (code, signal) => {
      done();
      resolve({ code, signal, timedOut, stdout: stdout.toString(), stderr: stderr.toString() });
    });
    child.stdin.end(command.stdin ?? "");
  });

/** Runs `command` and throws, with what it printed, unless it exits 0. */
export async function runOrThrow(runner: CommandRunner, command: Command, what: string, options?: RunOptions): Promise<RunResult> {
  const result = await runner(command, options);
  if (result.code !== 0) {
    const how = result.timedOut ? "timed out" : result.signal ? `was killed by ${result.signal}` : `failed (exit ${result.code})`;
    const said = `${result.stdout}${result.stderr}`.trim();
    throw new Error(`${what}: ${command.command} ${how}${said ? `: ${said}` : ""}`);
  }
  return result;
}
