/* global process, Buffer, setTimeout, clearTimeout */
/**
 * Runs a command that reads a secret from stdin (smbpasswd -s, gio mount's prompts), so the
 * secret stays off the command line. Resolves with the exit code and the output, never rejects
 * for a non-zero exit; SIGKILL after `timeoutMs`.
 */
import { spawn } from "node:child_process";
import { TailBuffer } from "../../e2e/helpers/proc.mjs";

export function runWithInput(cmd, args, input, { env, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const output = new TailBuffer();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.stdin.on("error", () => {
      // The command exited before reading everything; its exit code tells why.
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output: output.toString() });
    });
    child.stdin.end(Buffer.from(input));
  });
}
