/**
 * What the desktop app finds in a Linux user session, for the e2e tests of the app's parts: a
 * private session D-Bus with gvfs (mounts without root) and gnome-keyring's Secret Service (the
 * keychain), and the app itself headless (`dittofs-app`), started on that session.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpControlClient } from "../../core/index.js";
import { startGvfsSession, waitFor } from "./gvfs.mjs";
import { run } from "./proc.mjs";

const HEADLESS_MAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "electron", "headless-main.js");
const SETTINGS_LINE = /^Settings on (http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]{43})$/;

export interface DesktopSession {
  /** HOME, XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS of the session. */
  env: NodeJS.ProcessEnv;
  /** Where gvfs shows its mounts as folders. */
  fuseDir: string;
  stop(): Promise<void>;
}

/** Starts the session under `dir`: the bus with gvfs, then the keyring, claimed before anyone asks for it. */
export async function startDesktopSession(dir: string): Promise<DesktopSession> {
  const gvfs = await startGvfsSession(dir);
  let keyring: ChildProcess | null = null;
  try {
    keyring = spawn("gnome-keyring-daemon", ["--foreground", "--components=secrets", "--unlock"], { env: gvfs.env, stdio: ["pipe", "ignore", "ignore"] });
    keyring.stdin!.end("login keyring password for the test");
    // Asking for the Secret Service before this daemon owns its name would make the bus start another.
    const owned = async () => {
      const answer = await run(
        "dbus-send",
        ["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"],
        { env: gvfs.env, timeoutMs: 5_000 },
      );
      return /boolean true/.test(answer.stdout.toString());
    };
    for (const deadline = Date.now() + 10_000; !(await owned()); ) {
      if (Date.now() > deadline) throw new Error("gnome-keyring did not take the Secret Service name on the private bus");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (err) {
    keyring?.kill();
    await gvfs.stop();
    throw err;
  }
  return {
    env: gvfs.env,
    fuseDir: gvfs.fuseDir,
    async stop() {
      keyring?.kill();
      await gvfs.stop();
    },
  };
}

export interface HeadlessApp {
  /** The settings UI's URL with the token in its fragment, as dittofs-app printed it. */
  settingsUrl: string;
  origin: string;
  client: HttpControlClient;
  output(): string;
  /** Ctrl-C: resolves with the exit code and what was printed. */
  stop(): Promise<{ code: number | null; output: string }>;
}

/** Starts `dittofs-app` (built: dist/) on `dataDir` in `env`, and resolves once it prints its settings URL. */
export async function startHeadlessApp(dataDir: string, env: NodeJS.ProcessEnv): Promise<HeadlessApp> {
  const child = spawn(process.execPath, [HEADLESS_MAIN, "--data", dataDir, "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit");
  let match: RegExpExecArray;
  try {
    match = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`dittofs-app exited (${child.exitCode}):\n${output}`);
        return output.split("\n").map((line) => SETTINGS_LINE.exec(line)).find(Boolean) ?? null;
      },
      20_000,
      "dittofs-app's settings URL",
    );
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  const [line, origin, token] = match;
  return {
    settingsUrl: line.slice("Settings on ".length),
    origin: origin!,
    client: new HttpControlClient(origin!, token!),
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return { code, output };
    },
  };
}
