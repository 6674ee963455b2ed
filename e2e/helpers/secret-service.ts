/**
 * A private session D-Bus with gnome-keyring's Secret Service (what a Linux desktop session
 * has), for the desktop app's keychain in tests; everything it keeps lives under `home`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireTools } from "./tools.mjs";

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

export interface SecretService {
  /** The environment a process that uses the keychain runs with (HOME, XDG_*, DBUS_SESSION_BUS_ADDRESS). */
  env: NodeJS.ProcessEnv;
  stop(): void;
}

/** Starts the bus and an unlocked keyring under `home`; `ready` resolves once the Secret Service answers there. */
export async function startSecretService(home: string, ready: (env: NodeJS.ProcessEnv) => Promise<boolean>): Promise<SecretService> {
  await requireTools(["dbus-daemon", "gnome-keyring"]);
  const runtime = join(home, "run");
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const base = { ...process.env, HOME: home, XDG_RUNTIME_DIR: runtime, XDG_DATA_HOME: join(home, "data") };
  // A bus that starts no service by itself: the keyring daemon started below must be the one that answers.
  const config = join(home, "bus.conf");
  writeFileSync(config, BUS_CONFIG.replace("@DIR@", runtime));
  const bus: ChildProcess = spawn("dbus-daemon", [`--config-file=${config}`, "--nofork", "--print-address=1"], { env: base, stdio: ["ignore", "pipe", "ignore"] });
  const [address] = (await once(bus.stdout!, "data")) as [Buffer];
  const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address.toString().trim() };
  const keyring: ChildProcess = spawn("gnome-keyring-daemon", ["--foreground", "--components=secrets", "--unlock"], { env, stdio: ["pipe", "ignore", "ignore"] });
  keyring.stdin!.end("login keyring password for the test");
  const stop = () => {
    keyring.kill();
    bus.kill();
  };
  // The daemon takes a moment to claim the Secret Service name and create the login keyring.
  for (const deadline = Date.now() + 10_000; !(await ready(env)); ) {
    if (Date.now() > deadline) {
      stop();
      throw new Error("gnome-keyring's Secret Service did not come up on the private bus");
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { env, stop };
}
