#!/usr/bin/env node
/**
 * `dittofs-app`: the desktop app without its window and tray, for a machine without a desktop
 * (or a browser-managed one). The same parts as the app: settings, keychain, the supervised core
 * host, the drives; the settings UI is served over HTTP on loopback with a bearer token, so a
 * browser manages the shares as the app's window does. Ctrl-C unmounts, waits for uploads (a
 * bounded time) and stops.
 *
 * Usage: dittofs-app [--data DIR] [--bind 127.0.0.1] [--port 12090]
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createLogger, packageVersion, startControlHttp } from "../core/index.js";
import { startCore } from "./app/core-start.js";
import { DesktopControl } from "./app/desktop-control.js";
import { Drives } from "./app/drives.js";
import { forkedHostChannel } from "./host/fork-channel.js";
import { CoreSupervisor } from "./host/supervisor.js";
import { Keychain } from "./keychain.js";
import { mounterFor } from "./mount/mounter.js";
import { AppSettings } from "./settings/app-settings.js";

/** How long stopping waits for uploads before it gives up and says what is left. */
const STOP_WAIT_MS = 30_000;
/** How often the drives are looked at (a dropped one is mounted again). */
const DRIVE_CHECK_MS = 5_000;

const { values } = parseArgs({
  options: {
    data: { type: "string", default: defaultDataDir() },
    bind: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "12090" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write("Usage: dittofs-app [--data DIR] [--bind 127.0.0.1] [--port 12090]\n");
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`dittofs-app: --port ${values.port}: expected a port number (0 picks a free one)\n`);
  process.exit(2);
}

const dataDir = values.data;
const logDir = join(dataDir, "logs");
mkdirSync(logDir, { recursive: true });
// Two apps on one data folder would write the same stores and caches: one at a time.
const lock = takeLock(join(dataDir, "dittofs-app.pid"));
if (lock !== null) {
  process.stderr.write(`dittofs-app: ${dataDir} is in use by another dittofs-app (pid ${lock}); stop it first or give another --data\n`);
  process.exit(1);
}
const settingsPath = join(dataDir, "settings.db");
const settings = new AppSettings(settingsPath);
const logger = createLogger(settings.preferences().logLevel, "json");
const keychain = new Keychain();
const hostMain = join(dirname(fileURLToPath(import.meta.url)), "host", "host-main.js");
const supervisor = new CoreSupervisor(
  forkedHostChannel(hostMain, ["--settings", settingsPath, "--data", join(dataDir, "data"), "--logs", logDir], { env: { ...process.env, DITTOFS_VERSION: packageVersion() } }),
);
const drives = new Drives({
  mounter: mounterFor(process.platform, { mountRoot: settings.preferences().mountFolder ?? join(homedir(), "DittoFS") }),
  platform: process.platform,
  shares: () => settings.shares(),
  status: () => supervisor.status(),
  smbPassword: () => keychain.smbPassword(),
  onChange: () => {},
});
const control = new DesktopControl({ settings, keychain, supervisor, drives, logDir });

supervisor.onState((state) => {
  if (state.kind === "restarting") logger.error({ attempt: state.attempt, retryInMs: state.retryInMs, error: state.error }, "the file server stopped; restarting it");
});
// The settings page first: a port taken is told before any file server starts.
const http = await startControlHttp({ api: control, manage: control, logger, bind: values.bind, port }).catch((err: unknown) => {
  process.stderr.write(`dittofs-app: cannot serve the settings on ${values.bind}:${port}: ${(err as Error).message}\n`);
  rmSync(join(dataDir, "dittofs-app.pid"), { force: true });
  process.exit(1);
});
process.stdout.write(`Control API on ${http.url} with bearer token ${http.token}\n`);
if (http.settingsUrl) process.stdout.write(`Settings on ${http.settingsUrl}\n`);
process.stdout.write(`File server logs in ${join(logDir, "dittofs.log")}\n`);
// As the app starts it: the keychain's SMB password, the host, then the shares marked auto-mount.
void startCore({ control, supervisor, notify: ({ title, body }) => logger.warn({ detail: body }, title) }).then(() => {
  // Drives the OS let go of (a sleep, a server restart) are mounted again.
  setInterval(() => {
    void control.keepDrives().then((remounted) => remounted.length > 0 && logger.info({ remounted }, "drives mounted again"));
  }, DRIVE_CHECK_MS).unref();
});

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void stop();
  });
}

async function stop(): Promise<void> {
  for (const failure of await drives.unmountAll()) process.stderr.write(`dittofs-app: could not unmount ${failure}\n`);
  const { pendingFiles } = await supervisor.stop(STOP_WAIT_MS);
  if (pendingFiles > 0) process.stderr.write(`dittofs-app: stopped with ${pendingFiles} files not uploaded yet; they upload at the next start\n`);
  await http.close();
  settings.close();
  rmSync(join(dataDir, "dittofs-app.pid"), { force: true });
  logger.flush(() => process.exit(0));
}

/**
 * Writes this process's pid to `path` unless a live process holds it; resolves with that
 * process's pid, or null once the lock is ours (a pid file left by a crash is taken over).
 */
function takeLock(path: string): number | null {
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number.parseInt(readFileSync(path, "utf8"), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) return holder;
    rmSync(path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Where the headless app keeps its settings and data unless told: the OS's place for app data. */
function defaultDataDir(): string {
  if (process.platform === "darwin") return join(homedir(), "Library", "Application Support", "DittoFS Headless");
  if (process.platform === "win32") return join(process.env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "DittoFS Headless");
  return join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "dittofs-app");
}
