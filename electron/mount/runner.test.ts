import { describe, expect, it } from "vitest";
import { runCommand, runOrThrow } from "./runner.js";

const node = process.execPath;

describe("runCommand (real child processes)", () => {
  it("passes stdin through and returns the exit code and output", async () => {
    const script = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{process.stdout.write(s.toUpperCase());process.stderr.write('err');process.exit(3)})";
    const result = await runCommand({ command: node, args: ["-e", script], stdin: "bob\nWORKGROUP\n" });
    expect(result).toEqual({ code: 3, signal: null, timedOut: false, stdout: "BOB\nWORKGROUP\n", stderr: "err" });
  });

  it("keeps at most maxOutputBytes of output and says it cut the rest", async () => {
    const result = await runCommand({ command: node, args: ["-e", "process.stdout.write('x'.repeat(1e6))"] }, { maxOutputBytes: 1000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${"x".repeat(1000)}\n[output truncated]`);
  });

  it("kills a command that outlives its deadline", async () => {
    const result = await runCommand({ command: node, args: ["-e", "setTimeout(()=>{}, 60000)"] }, { timeoutMs: 200 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGTERM");
  });

  it("passes the environment it is given", async () => {
    const result = await runCommand({ command: node, args: ["-e", "process.stdout.write(process.env.XDG_RUNTIME_DIR)"] }, { env: { XDG_RUNTIME_DIR: "/run/user/4242" } });
    expect(result.stdout).toBe("/run/user/4242");
  });

  it("says which program is missing", async () => {
    await expect(runCommand({ command: "dittofs-no-such-mount-tool", args: [] })).rejects.toThrow("dittofs-no-such-mount-tool is not installed or not on the PATH");
  });

  it("runOrThrow names the step and what the command said", async () => {
    const failing = { command: node, args: ["-e", "console.error('mount: permission denied'); process.exit(32)"] };
    await expect(runOrThrow(runCommand, failing, "mounting export")).rejects.toThrow(`mounting export: ${node} failed (exit 32): mount: permission denied`);
    const ok = await runOrThrow(runCommand, { command: node, args: ["-e", "console.log('fine')"] }, "listing");
    expect(ok.stdout).toBe("fine\n");
  });
});
