/**
 * The desktop app's keychain for real: a private session D-Bus with gnome-keyring's Secret
 * Service (what a Linux desktop session has), and electron/keychain.ts storing, testing,
 * resolving and deleting secrets through @napi-rs/keyring.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keychain, KeychainError } from "../electron/keychain.js";
import { requireTools } from "./helpers/tools.mjs";

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
