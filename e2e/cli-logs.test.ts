/**
 * What a person sees: the built `dittofs serve` on a real terminal (a pseudo-terminal from
 * util-linux `script`) prints readable log lines around the mount commands and stops on
 * Ctrl-C; piped, its logs stay JSON lines; --log-format decides over both.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH, ensureBuilt } from "./helpers/dittofs.mjs";
import { signalPid } from "./helpers/proc.mjs";

const CONFIG = `
metadata: { stores: { meta: { type: memory } } }
content: { stores: { data: { type: memory } } }
shares: [ { name: /export, metadata_store: meta, content_store: data } ]
adapters: { nfs: { port: 0 } }
`;

/** "[19:52:46.854] INFO: server started {...}": pino-pretty's line, without colours (NO_COLOR). */
const READABLE = /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR): /;

let dir: string;
let config: string;
beforeAll(async () => {
  if (spawnSync("script", ["--version"]).error) {
    throw new Error("util-linux `script` is missing: apt-get install -y bsdutils");
  }
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "dittofs-e2e-logs-"));
  config = join(dir, "dittofs.yaml");
  writeFileSync(config, CONFIG);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  /** Everything the process printed (on a terminal: stdout and stderr together, CR LF endings). */
  lines: string[];
  stderrLines: string[];
  code: number | null;
}

/**
 * Runs `dittofs serve` until it prints `ready`, then stops it: on a terminal with Ctrl-C typed
 * into the terminal, piped with SIGINT.
 */
function serve(args: string[], terminal: boolean): Promise<Run> {
  const env = { ...process.env, NO_COLOR: "1", DITTOFS_LOG_LEVEL: "info" };
  const command = [process.execPath, CLI_PATH, "serve", "--config", config, ...args];
  const child = terminal
    ? // `script` runs the command with $SHELL; `exec` makes the server the terminal's foreground
      // process, so Ctrl-C reaches it alone (dash, say, would die of the SIGINT itself: exit 130).
      spawn("script", ["-qec", `exec ${command.map((part) => `'${part}'`).join(" ")}`, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] })
    : spawn(command[0]!, command.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let stderr = "";
  let stopped = false;
  const deadline = setTimeout(() => signalPid(child.pid!, "SIGKILL"), 30_000);
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (!stopped && /^ready\r?$/m.test(output)) {
        stopped = true;
        if (terminal) child.stdin!.write("\x03");
        else signalPid(child.pid!, "SIGINT");
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(deadline);
      // A terminal echoes the Ctrl-C as "^C" where the cursor is.
      const split = (text: string) => text.split(/\r?\n/).map((line) => line.replace(/^\^C/, "")).filter((line) => line !== "");
      resolve({ lines: split(output), stderrLines: split(stderr), code });
    });
  });
}

describe("dittofs serve logs", () => {
  it("on a terminal: readable lines, then the mount commands; Ctrl-C stops it gracefully", async () => {
    const run = await serve([], true);
    expect(run.code).toBe(0);
    const logLines = run.lines.filter((line) => READABLE.test(line));
    expect(logLines.some((line) => /INFO: server started/.test(line))).toBe(true);
    expect(logLines.some((line) => /INFO: shutting down gracefully/.test(line))).toBe(true);
    expect(logLines.at(-1)).toMatch(/INFO: stopped$/);
    expect(run.lines.filter((line) => line.startsWith("{"))).toEqual([]);
    // The startup logs come first, so the mount commands and `ready` close what the person sees.
    const ready = run.lines.indexOf("ready");
    const started = run.lines.findIndex((line) => /INFO: server started/.test(line));
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(run.lines.findIndex((line) => line.startsWith("NFS listening on")));
    expect(run.lines[ready - 2]).toBe("Mount on Linux:");
  });

  it("piped: one JSON object per log line on stderr, nothing but the listening lines on stdout", async () => {
    const run = await serve([], false);
    expect(run.code).toBe(0);
    expect(run.stderrLines.length).toBeGreaterThan(3);
    const entries = run.stderrLines.map((line) => JSON.parse(line) as { msg: string; level: number });
    expect(entries.map((entry) => entry.msg)).toContain("server started");
    expect(entries.at(-1)!.msg).toBe("stopped");
    expect(run.lines[0]).toMatch(/^NFS listening on 127\.0\.0\.1:\d+$/);
    expect(run.lines.at(-1)).toBe("ready");
  });

  it("--log-format json on a terminal and --log-format pretty when piped", async () => {
    const json = await serve(["--log-format", "json"], true);
    expect(json.code).toBe(0);
    expect(json.lines.filter((line) => READABLE.test(line))).toEqual([]);
    const parsed = json.lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { msg: string });
    expect(parsed.map((entry) => entry.msg)).toContain("server started");

    const pretty = await serve(["--log-format", "pretty"], false);
    expect(pretty.code).toBe(0);
    expect(pretty.stderrLines.length).toBeGreaterThan(3);
    expect(pretty.stderrLines.filter((line) => !READABLE.test(line))).toEqual([]);
  });
});
