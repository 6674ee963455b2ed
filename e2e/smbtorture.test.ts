/**
 * Samba's smbtorture against the SMB adapter: the smb2 suites that apply to a file server, each
 * run whole, their results read from smbtorture's subunit output. Every failing test must be in
 * e2e/smbtorture/KNOWN_FAILURES, and every test there must still fail — the list only shrinks.
 *
 * Left out: maxfid (opens files until the server refuses, over two minutes here, and passes),
 * scan (brute-forces levels), bench, hold-oplock/hold-sharemode (wait for a human), multichannel,
 * kernel-oplocks, twrp (snapshots), and the Samba-internal ones (samba3misc, secleak, mangle,
 * aio_delay, timestamp_resolution, check-sharemode, change_notify_disabled, notify-inotify), and
 * the notify tests that would wait forever (see ONE_BY_ONE).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { freePort } from "./helpers/ports.mjs";
import { run } from "./helpers/proc.mjs";
import { requireTools } from "./helpers/tools.mjs";

const SUITES = [
  "connect", "read", "create", "dir", "rename", "getinfo", "setinfo", "lock", "session", "compound", "compound_find",
  "credits", "ioctl", "oplock", "lease", "notify", "streams", "delete-on-close-perms", "timestamps", "fileid", "rw",
  "charset", "tcon", "mkdir", "dosmode", "async_dosmode", "openattr", "winattr", "sdread", "maximum_allowed", "ea",
  "sharemode", "deny", "acls", "replay", "durable-open", "durable-v2-open", "create_no_streams", "session-id",
] as const;
/** notify.mask alone takes some 80 seconds (32 filter bits, ten changes each, 200 ms apiece). */
const SUITE_TIMEOUT_MS = 240_000;
/**
 * Suites run test by test, leaving out tests that wait for something the server does not do yet:
 * smbtorture has no timeout and would wait forever.
 */
const ONE_BY_ONE: Readonly<Record<string, { tests: readonly string[]; waitsForever: readonly string[] }>> = {
  notify: {
    tests: [
      "valid-req", "tcon", "dir", "mask", "tdis", "tdis1", "mask-change", "close", "logoff", "session-reconnect",
      "invalid-reauth", "tree", "basedir", "double", "file", "tcp", "rec", "overflow", "rmdir1", "rmdir2", "rmdir3",
      "rmdir4", "handle-permissions",
    ],
    waitsForever: [],
  },
};

/** What to ask smbtorture for: the whole suite, or its tests one by one. */
function torturesFor(suite: string): string[] {
  const oneByOne = ONE_BY_ONE[suite];
  if (!oneByOne) return [`smb2.${suite}`];
  return oneByOne.tests.filter((test) => !oneByOne.waitsForever.includes(test)).map((test) => `smb2.${suite}.${test}`);
}

const PASSWORD = "smbtorture secret";
const KNOWN_FAILURES_PATH = join(dirname(fileURLToPath(import.meta.url)), "smbtorture", "KNOWN_FAILURES");

type Outcome = "success" | "failure" | "error" | "skip";

/** KNOWN_FAILURES: one `suite.test` a line, `#` starts a comment. */
function knownFailures(): Set<string> {
  const names = readFileSync(KNOWN_FAILURES_PATH, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
  return new Set(names);
}

/**
 * The outcome of each test in smbtorture's subunit output, named `suite.test` (`connect.connect`
 * for a suite of one test). A test that started but never got a result (a crash, a timeout) is
 * an error.
 */
function parseSubunit(suite: string, output: string): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  const fullName = (test: string): string => `${suite}.${test}`;
  for (const line of output.split("\n")) {
    const match = /^(test|success|failure|error|skip|xfail|uxsuccess): (.+?)(?: \[)?$/.exec(line);
    if (!match) continue;
    const [, kind, test] = match as unknown as [string, string, string];
    if (kind === "test") outcomes.set(fullName(test), "error");
    else if (kind === "success" || kind === "uxsuccess") outcomes.set(fullName(test), "success");
    else if (kind === "skip") outcomes.set(fullName(test), "skip");
    else outcomes.set(fullName(test), kind === "error" ? "error" : "failure");
  }
  return outcomes;
}

describe("smbtorture smb2 suites", () => {
  let server: E2eServer;
  let port: number;
  let work: string;
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const known = knownFailures();

  beforeAll(async () => {
    await requireTools(["smbtorture"]);
    port = await freePort();
    // smbtorture makes a scratch directory in its working directory.
    work = mkdtempSync(join(tmpdir(), "dittofs-smbtorture-"));
    server = await E2eServer.start(
      {
        smb: { enabled: true, port, users: [{ name: "alice", password: "env:DITTOFS_E2E_SMB_PASSWORD", uid, gid }] },
        shares: [{ name: "/export", root: { uid, gid, mode: 0o755 } }],
      },
      { DITTOFS_E2E_SMB_PASSWORD: PASSWORD },
    );
  });

  afterAll(async () => {
    await server?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("lists only tests of the suites it runs, and none of those it cannot run", () => {
    for (const name of known) expect(SUITES.some((suite) => name.startsWith(`${suite}.`)), name).toBe(true);
    for (const [suite, { waitsForever }] of Object.entries(ONE_BY_ONE)) {
      for (const test of waitsForever) expect(known.has(`${suite}.${test}`), `${suite}.${test} is not run`).toBe(false);
    }
  });

  it.each(SUITES)("smb2.%s: fails only where KNOWN_FAILURES says, and passes where it does not", async (suite) => {
    // The password goes in the environment, never on the command line.
    const result = await run("smbtorture", [`//127.0.0.1/export`, "-p", String(port), "-U", "alice", ...torturesFor(suite)], {
      env: { ...process.env, PASSWD: PASSWORD },
      timeoutMs: SUITE_TIMEOUT_MS,
      cwd: work,
    });
    const output = result.stdout.toString();
    const tail = output.slice(-20_000);
    const outcomes = parseSubunit(suite, output);
    expect(outcomes.size, `smbtorture ran no test of smb2.${suite}:\n${tail}${result.stderr}`).toBeGreaterThan(0);
    const unexpected = [...outcomes].filter(([name, outcome]) => (outcome === "failure" || outcome === "error") && !known.has(name)).map(([name]) => name);
    const nowPassing = [...outcomes].filter(([name, outcome]) => outcome === "success" && known.has(name)).map(([name]) => name);
    if (unexpected.length > 0 && server) console.error(server.server.describe());
    expect(unexpected, `failures not in KNOWN_FAILURES:\n${tail}`).toEqual([]);
    expect(nowPassing, "now passing: remove them from KNOWN_FAILURES").toEqual([]);
  }, SUITE_TIMEOUT_MS + 30_000);
});
