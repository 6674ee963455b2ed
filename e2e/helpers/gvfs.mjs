/* global process, setTimeout */
/**
 * A GNOME-style user session for mounting SMB shares without root: a private session D-Bus (HOME
 * and XDG_RUNTIME_DIR in a temp dir, set before the bus starts) that activates gvfsd and its FUSE
 * bridge under $XDG_RUNTIME_DIR/gvfs. Everything the bus started is stopped by PID, and a FUSE
 * mount left behind is lazily unmounted. Used by the e2e tests and the SMB benchmark.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TailBuffer, run } from "./proc.mjs";
import { descendants, stopPids } from "./proc-tree.mjs";

const GVFS_FUSE = "/usr/libexec/gvfsd-fuse";
const GVFS_PACKAGES = "apt-get install -y gvfs gvfs-backends gvfs-fuse dbus dbus-x11";

export function requireGvfs() {
  const missing = [GVFS_FUSE, "/usr/libexec/gvfsd-smb", "/usr/bin/gio", "/usr/bin/dbus-daemon"].filter((path) => !existsSync(path));
  if (missing.length) throw new Error(`missing ${missing.join(", ")}: install with \`${GVFS_PACKAGES}\``);
}

function mounted(path) {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[1] === path);
}

/** Resolves once `check` returns a truthy value (which it resolves with), or throws after `timeoutMs`. */
export async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a private session bus with gvfs' daemons under `dir`; resolves once its FUSE mount is up. */
export async function startGvfsSession(dir) {
  const home = join(dir, "home");
  const runtime = join(dir, "run");
  mkdirSync(home, { recursive: true });
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const env = { ...process.env, HOME: home, XDG_RUNTIME_DIR: runtime };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  const bus = spawn("dbus-daemon", ["--session", "--nofork", "--nopidfile", "--print-address=1"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const output = new TailBuffer();
  bus.stderr.on("data", (chunk) => output.push(chunk));
  let exited = false;
  const busExit = new Promise((resolve) => bus.on("exit", () => resolve((exited = true))));
  const fuseDir = join(runtime, "gvfs");
  const session = {
    env,
    fuseDir,
    describe: () => `dbus-daemon (pid ${bus.pid}${exited ? ", exited" : ""})\n${output}`,
    async stop() {
      const tree = descendants(bus.pid);
      await stopPids(tree);
      if (!exited) {
        await stopPids([bus.pid]);
        await Promise.race([busExit, new Promise((r) => setTimeout(r, 5_000))]);
      }
      if (mounted(fuseDir)) await run("fusermount", ["-u", "-z", fuseDir], { timeoutMs: 10_000 });
    },
  };
  try {
    env.DBUS_SESSION_BUS_ADDRESS = await new Promise((resolve, reject) => {
      let text = "";
      bus.stdout.on("data", (chunk) => {
        text += chunk;
        if (text.includes("\n")) resolve(text.split("\n")[0].trim());
      });
      busExit.then(() => reject(new Error(`dbus-daemon exited\n${output}`)));
    });
    // Any gio call activates gvfsd on the bus, which starts gvfsd-fuse on $XDG_RUNTIME_DIR/gvfs.
    await run("gio", ["mount", "-l"], { env, timeoutMs: 30_000 });
    await waitFor(() => mounted(fuseDir), 30_000, `the gvfs FUSE mount on ${fuseDir}`);
    return session;
  } catch (err) {
    await session.stop();
    throw err;
  }
}

