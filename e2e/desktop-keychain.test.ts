/**
 * The desktop app's keychain for real: a private session D-Bus with gnome-keyring's Secret
 * Service (what a Linux desktop session has), and electron/keychain.ts storing, testing,
 * resolving and deleting secrets through @napi-rs/keyring; and the core host using them, whose
 * log file holds none of them.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FromHost, ToHost } from "../electron/host/protocol.js";
import { Keychain, KeychainError } from "../electron/keychain.js";
import { AppSettings } from "../electron/settings/app-settings.js";
import { ensureBuilt } from "./helpers/dittofs.mjs";
import { freePort } from "./helpers/ports.mjs";
import { startS3rver } from "./helpers/s3rver.mjs";
import { requireTools } from "./helpers/tools.mjs";

const HOST_MAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "electron", "host", "host-main.js");

const BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=@DIR@</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

describe("desktop app: secrets in the system keychain (Secret Service)", () => {
  let home: string;
  let bus: ChildProcess;
  let keyring: ChildProcess;
  const keychain = new Keychain();

  beforeAll(async () => {
    await requireTools(["dbus-daemon", "gnome-keyring"]);
    home = mkdtempSync(join(tmpdir(), "dittofs-keychain-"));
    const runtime = join(home, "run");
    mkdirSync(runtime, { mode: 0o700 });
    // Everything the daemons keep goes under `home`, never into the real user's keyrings.
    const env = { ...process.env, HOME: home, XDG_RUNTIME_DIR: runtime, XDG_DATA_HOME: join(home, "data") };
    // A bus that starts no service by itself: the keyring daemon started below must be the one that answers.
    const config = join(home, "bus.conf");
    writeFileSync(config, BUS_CONFIG.replace("@DIR@", runtime));
    bus = spawn("dbus-daemon", [`--config-file=${config}`, "--nofork", "--print-address=1"], { env, stdio: ["ignore", "pipe", "ignore"] });
    const [address] = (await once(bus.stdout!, "data")) as [Buffer];
    const busAddress = address.toString().trim();
    keyring = spawn("gnome-keyring-daemon", ["--foreground", "--components=secrets", "--unlock"], {
      env: { ...env, DBUS_SESSION_BUS_ADDRESS: busAddress },
      stdio: ["pipe", "ignore", "ignore"],
    });

    keyring.stdin!.end("login keyring password for the test");
    // The keyring library finds the session bus here (this test file's own worker process).
    process.env.DBUS_SESSION_BUS_ADDRESS = busAddress;
    // The daemon takes a moment to claim the Secret Service name and create the login keyring.
    const ready = () => keychain.set("keychain:dittofs-test/ready", "x").then(() => true, () => false);
    for (const deadline = Date.now() + 10_000; !(await ready()); ) {
      if (Date.now() > deadline) throw new Error("gnome-keyring's Secret Service did not come up on the private bus");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await keychain.delete("keychain:dittofs-test/ready");
  });

  afterAll(() => {
    keyring?.kill();
    bus?.kill();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("saves a secret it can test and the core can resolve, and deletes it", async () => {
    const ref = "keychain:dittofs/s3-photos";
    expect(await keychain.has(ref)).toBe(false);
    await keychain.set(ref, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(await keychain.has(ref)).toBe(true);
    expect(await keychain.resolver().resolve("dittofs/s3-photos")).toBe("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    await keychain.set(ref, "a new secret");
    expect(await keychain.resolver().resolve("dittofs/s3-photos")).toBe("a new secret");
    expect(await keychain.delete(ref)).toBe(true);
    expect(await keychain.has(ref)).toBe(false);
    expect(await keychain.resolver().resolve("dittofs/s3-photos")).toBeNull();
    // gnome-keyring encrypts its files: the secret is nowhere in plain text.
    for (const file of filesUnder(home)) expect(readFileSync(file).includes("a new secret")).toBe(false);
  });

  it("makes the SMB password once, long and random, and keeps it", async () => {
    const first = await keychain.smbPassword();
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await keychain.smbPassword()).toBe(first);
  });

  it("runs the core host on the keychain's secrets, and its log file holds none of them", async () => {
    await ensureBuilt();
    // A secret of its own, so that a match in the log can only be a leak.
    const secret = "kcSecret/0123456789/ABCDEFGHIJKLMNOPQRSTUVWX";
    const s3 = await startS3rver({ buckets: ["archive"], secretAccessKey: secret });
    const ref = "keychain:dittofs/s3-archive";
    await keychain.set(ref, secret);
    // As the app does before the host starts (DesktopControl.prepareHost).
    const smbPassword = await keychain.smbPassword();
    const settingsPath = join(home, "host-settings.db");
    const settings = new AppSettings(settingsPath);
    settings.setPreferences({ nfsPort: await freePort(), smbPort: await freePort(), logLevel: "trace" });
    settings.saveShare({
      name: "Archive",
      kind: "s3",
      protocol: "both",
      s3: { endpoint: s3.endpoint, region: s3.region, bucket: "archive", accessKeyId: s3.accessKeyId, secretKey: ref },
    });
    settings.close();
    const logs = join(home, "logs");
    // The host finds the Secret Service on the private bus through the environment it inherits.
    const host = fork(HOST_MAIN, ["--settings", settingsPath, "--data", join(home, "host-data"), "--logs", logs], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
    try {
      const answers: FromHost[] = [];
      host.on("message", (message) => answers.push(message as FromHost));
      const send = (message: ToHost) => host.send(message);
      await expect.poll(() => answers.find((m) => m.kind === "ready" || m.kind === "failed"), { timeout: 30_000 }).toEqual(expect.objectContaining({ kind: "ready" }));
      // A listing of the bucket from S3, signed with the secret.
      send({ kind: "call", id: 1, method: "refreshListing", args: ["/archive"] });
      await expect.poll(() => answers.find((m) => m.kind === "answer"), { timeout: 30_000 }).toMatchObject({ ok: true, value: true });
      send({ kind: "stop", timeoutMs: 500 });
      await once(host, "exit");
    } finally {
      host.kill("SIGKILL");
      await s3.close();
    }
    const log = readFileSync(join(logs, "dittofs.log"), "utf8");
    const lines = log.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ app: "dittofs" });
    expect(log).toContain("server started");
    expect(log).toContain(s3.endpoint);
    expect(log).not.toContain(secret);
    expect(log).not.toContain(smbPassword);
  });

  it("refuses what is not a keychain reference, and an empty secret", async () => {
    await expect(keychain.set("env:HOME", "x")).rejects.toBeInstanceOf(KeychainError);
    await expect(keychain.has("keychain:../etc/passwd")).rejects.toThrow(/not a keychain reference/);
    await expect(keychain.set("keychain:dittofs/empty", "")).rejects.toThrow(/empty secret/);
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) return [];
    return stats.isDirectory() ? filesUnder(path) : stats.isFile() ? [path] : [];
  });
}
