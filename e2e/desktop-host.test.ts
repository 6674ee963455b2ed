/**
 * The desktop app's core host for real: the supervisor forks the built host (dist/electron/host/
 * host-main.js) over the app's settings, talks the control contract with it over IPC, restarts
 * it with back-off when it is killed, and stops it on quit. A share added in the settings is
 * served over NFS (the libnfs C client reads and writes it).
 */
import { fork, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlEvent } from "../core/index.js";
import { CoreSupervisor, type HostChannel, type HostState } from "../electron/host/supervisor.js";
import type { FromHost } from "../electron/host/protocol.js";
import { DesktopControl } from "../electron/app/desktop-control.js";
import { Drives } from "../electron/app/drives.js";
import { mounterFor } from "../electron/mount/mounter.js";
import { Keychain } from "../electron/keychain.js";
import { AppSettings } from "../electron/settings/app-settings.js";
import { ensureBuilt, nfsUrl } from "./helpers/dittofs.mjs";
import { buildNfsClient, NfsClient } from "./helpers/nfsclient.mjs";
import { freePort } from "./helpers/ports.mjs";

const HOST_MAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "electron", "host", "host-main.js");

/** A HostChannel over a forked Node process, as the app has one over Electron's utilityProcess; logs to `logsDir` when given. */
function forkedHost(settingsPath: string, dataDir: string, children: ChildProcess[], logsDir?: string): () => HostChannel {
  return () => {
    const args = ["--settings", settingsPath, "--data", dataDir, ...(logsDir ? ["--logs", logsDir] : [])];
    const child = fork(HOST_MAIN, args, { stdio: ["ignore", "ignore", "pipe", "ipc"] });
    children.push(child);
    return {
      postMessage: (message) => void child.send(message),
      onMessage: (listener) => void child.on("message", (message) => listener(message as FromHost)),
      onExit: (listener) => void child.on("exit", (code) => listener(code)),
      kill: () => void child.kill("SIGKILL"),
    };
  };
}

describe("desktop app: the built host", () => {
  it("is one bundle: the core inside it, the native modules outside, and the AWS SDK and pg still loaded lazily", async () => {
    await ensureBuilt();
    const bundle = readFileSync(HOST_MAIN, "utf8");
    const staticImports = [...bundle.matchAll(/^import (?:[^"']* from )?["']([^"']+)["'];?$/gm)].map((match) => match[1]!);
    const outside = staticImports.filter((specifier) => !specifier.startsWith("node:") && !specifier.startsWith("./host-chunks/"));
    expect(outside.sort()).toEqual(["@napi-rs/keyring", "better-sqlite3"]);
    // What an S3 or PostgreSQL share needs comes in a chunk the bundle imports only when one is opened.
    const lazy = [...bundle.matchAll(/\bimport\(["']([^"']+)["']\)/g)].map((match) => match[1]!);
    expect(lazy).toEqual(expect.arrayContaining([expect.stringMatching(/^\.\/host-chunks\/s3\.js$/), expect.stringMatching(/^\.\/host-chunks\/postgres\.js$/)]));
    for (const chunk of staticImports.filter((specifier) => specifier.startsWith("./host-chunks/"))) {
      expect(readFileSync(join(dirname(HOST_MAIN), chunk), "utf8")).not.toMatch(/from ["'](@aws-sdk\/|pg["'])/);
    }
  });
});

describe("desktop app: the supervised core host", () => {
  let work: string;
  let folder: string;
  let nfsPort: number;
  const children: ChildProcess[] = [];
  let supervisor: CoreSupervisor;
  const states: HostState[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), "dittofs-host-"));
    folder = join(work, "Documents");
    mkdirSync(folder);
    writeFileSync(join(folder, "already-here.txt"), "a file that was in the folder before\n");
    nfsPort = await freePort();
    const settings = new AppSettings(join(work, "settings.db"));
    settings.setPreferences({ nfsPort });
    settings.saveShare({ name: "Docs", kind: "folder", folder: { path: folder } });
    settings.saveShare({ name: "Scratch", kind: "memory" });
    settings.close();
    supervisor = new CoreSupervisor(forkedHost(join(work, "settings.db"), join(work, "data"), children, join(work, "logs")), { firstRetryMs: 200, stableAfterMs: 60_000 });
    supervisor.onState((state) => states.push(state));
    const running = new Promise<void>((resolve) => supervisor.onState((state) => state.kind === "running" && resolve()));
    supervisor.start();
    await running;
  });

  afterAll(async () => {
    await supervisor?.stop(1_000);
    for (const child of children) child.kill("SIGKILL");
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("serves the app's shares: status over IPC, files over NFS", async () => {
    expect(supervisor.state()).toEqual({ kind: "running", nfsPort, smbPort: null });
    const status = await supervisor.status();
    expect(status.shares.map((share) => [share.name, share.contentKind])).toEqual([
      ["/docs", "fs (folder)"],
      ["/scratch", "memory"],
    ]);
    const client = new NfsClient(await buildNfsClient(), nfsUrl({ port: nfsPort, share: "/docs" }));
    expect((await client.bytes("cat", "/already-here.txt")).toString()).toBe("a file that was in the folder before\n");
    await client.bytes("write", "/from-nfs.txt", "written through the app's server\n");
    expect(readFileSync(join(folder, "from-nfs.txt"), "utf8")).toBe("written through the app's server\n");
    await expect(supervisor.retryUploads("/nope")).rejects.toMatchObject({ code: "NotFound" });
  });

  it("hears the host's events, restarts a killed host with back-off, and keeps its subscribers", async () => {
    const events: ControlEvent[] = [];
    supervisor.subscribe((event) => events.push(event));
    states.length = 0;
    const [first] = children.slice(-1);
    first!.kill("SIGKILL");
    await expect.poll(() => states.map((state) => state.kind), { timeout: 20_000 }).toEqual(["restarting", "running"]);
    expect(states[0]).toMatchObject({ kind: "restarting", attempt: 1, retryInMs: 200, error: "the file server exited unexpectedly (killed)" });
    // The new host's events reach the subscriber made before the crash.
    await expect.poll(() => events.filter((event) => event.share.name === "/scratch").length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect((await supervisor.status()).shares).toHaveLength(2);
  });

  it("answers calls while it is down with why, and stops on quit", async () => {
    const stopped = await supervisor.stop(2_000);
    expect(stopped).toEqual({ pendingFiles: 0 });
    expect(supervisor.state()).toEqual({ kind: "stopped", error: null });
    await expect(supervisor.status()).rejects.toMatchObject({ code: "Unavailable", message: "the file server is stopped" });
    expect(children.every((child) => child.exitCode !== null || child.signalCode !== null)).toBe(true);
  });

  it("wrote its logs to <logs>/dittofs.log as JSON lines, the last stop's lines included", () => {
    const lines = readFileSync(join(work, "logs", "dittofs.log"), "utf8").trimEnd().split("\n");
    const entries = lines.map((line) => JSON.parse(line) as { app: string; msg: string });
    expect(entries.every((entry) => entry.app === "dittofs")).toBe(true);
    // Two hosts ran (one was killed), and the second stopped: its last line was written before it exited.
    expect(entries.filter((entry) => entry.msg === "server started")).toHaveLength(2);
    expect(entries.at(-1)?.msg).toBe("server stopped");
  });

  it("stops by itself when the app that started it is gone, and frees its port", async () => {
    const child = fork(HOST_MAIN, ["--settings", join(work, "settings.db"), "--data", join(work, "data")], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      child.on("message", (message) => (message as FromHost).kind === "ready" && resolve());
      void exited.then((code) => reject(new Error(`the host exited (${code}) before it was ready:\n${stderr}`)));
    });
    child.disconnect();
    expect(await exited, stderr).toBe(0);
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(nfsPort, "127.0.0.1", resolve);
    });
    probe.close();
  });

  it("says why a host cannot start, and keeps trying with a longer wait", async () => {
    const settingsPath = join(work, "broken.db");
    const settings = new AppSettings(settingsPath);
    // Its NFS port is taken (a share that cannot open would only be left out).
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    settings.setPreferences({ nfsPort: (taken.address() as AddressInfo).port });
    settings.saveShare({ name: "Scratch", kind: "memory", protocol: "nfs" });
    settings.close();
    const broken = new CoreSupervisor(forkedHost(settingsPath, join(work, "broken-data"), children), { firstRetryMs: 100 });
    const seen: HostState[] = [];
    broken.onState((state) => seen.push(state));
    broken.start();
    try {
      await expect.poll(() => seen.filter((state) => state.kind === "restarting").length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      const [first, second] = seen.filter((state) => state.kind === "restarting") as Array<HostState & { kind: "restarting" }>;
      expect(first).toMatchObject({ attempt: 1, retryInMs: 100, error: expect.stringContaining("EADDRINUSE") });
      expect(second).toMatchObject({ attempt: 2, retryInMs: 200 });
      expect(seen.some((state) => state.kind === "running")).toBe(false);
    } finally {
      await broken.stop(500);
      taken.close();
    }
    expect(broken.state()).toEqual({ kind: "stopped", error: null });
  });
});

describe("desktop app: shares managed in the settings, served by the restarted host", () => {
  let work: string;
  const children: ChildProcess[] = [];
  let settings: AppSettings;
  let supervisor: CoreSupervisor;
  let control: DesktopControl;
  /** Keychain items in memory: this test's shares need none from the host, only the app side stores them. */
  const items = new Map<string, string>();
  const keychain = new Keychain((service, account) => ({
    setPassword: async (password) => void items.set(`${service}/${account}`, password),
    getPassword: async () => items.get(`${service}/${account}`) ?? null,
    deletePassword: async () => items.delete(`${service}/${account}`),
  }));

  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), "dittofs-desktop-control-"));
    const settingsPath = join(work, "settings.db");
    settings = new AppSettings(settingsPath);
    settings.setPreferences({ nfsPort: await freePort() });
    settings.saveShare({ name: "Scratch", kind: "memory" });
    supervisor = new CoreSupervisor(forkedHost(settingsPath, join(work, "data"), children), { firstRetryMs: 200 });
    const drives = new Drives({
      mounter: mounterFor(process.platform, {}),
      platform: process.platform,
      shares: () => settings.shares(),
      status: () => supervisor.status(),
      smbPassword: () => keychain.smbPassword(),
      onChange: () => {},
    });
    control = new DesktopControl({ settings, keychain, supervisor, drives, logDir: join(work, "logs") });
    const running = new Promise<void>((resolve) => supervisor.onState((state) => state.kind === "running" && resolve()));
    supervisor.start();
    await running;
  });

  afterAll(async () => {
    await supervisor?.stop(1_000);
    for (const child of children) child.kill("SIGKILL");
    settings?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const served = async () => (await control.status()).shares.map((share) => share.name);

  it("serves a share once it is saved, and stops serving it once removed", async () => {
    expect(await served()).toEqual(["/scratch"]);
    const folder = join(work, "Notes");
    mkdirSync(folder);
    await control.saveShare({ share: { name: "Notes", kind: "folder", folder: { path: folder }, protocol: "nfs", autoMount: false } });
    expect(supervisor.state().kind).toBe("running");
    expect(await served()).toEqual(["/scratch", "/notes"]);
    expect((await control.listShares()).map((share) => [share.definition.name, share.exportPath])).toEqual([
      ["Scratch", "/scratch"],
      ["Notes", "/notes"],
    ]);
    expect(await control.removeShare("Scratch")).toBe(true);
    expect(await control.removeShare("Scratch")).toBe(false);
    expect(await served()).toEqual(["/notes"]);
    // A share the server cannot open is saved and left out, saying why, while the others are served.
    const gone = await control.saveShare({ share: { name: "Gone", kind: "folder", folder: { path: join(work, "no-such-folder") }, protocol: "nfs", autoMount: false } });
    expect(gone.serveError).toMatch(/no-such-folder/);
    expect(await served()).toEqual(["/notes"]);
    expect((await control.status()).unserved).toEqual([{ name: "/gone", error: gone.serveError }]);
    expect(await control.removeShare("Gone")).toBe(true);
    expect(await served()).toEqual(["/notes"]);
  });

  it("keeps an S3 share's secret in the keychain only, and refuses a bad share before touching anything", async () => {
    const ref = "keychain:dittofs/s3-archive";
    const archive = {
      name: "Archive",
      kind: "s3" as const,
      s3: { endpoint: "http://127.0.0.1:1", region: "us-east-1", bucket: "archive", accessKeyId: "AKID", secretKey: ref },
    };
    const refused = control.saveShare({ share: { ...archive, s3: { ...archive.s3, bucket: "No_Bucket" } }, secretAccessKey: "the secret" });
    await expect(refused).rejects.toMatchObject({ code: "Invalid", field: "s3.bucket", message: expect.stringMatching(/^expected an S3 bucket name/) });
    expect(items.size).toBe(0);
    await expect(control.saveShare({ share: { name: "Tmp", kind: "memory" }, secretAccessKey: "x" })).rejects.toMatchObject({ code: "Invalid", field: "secretAccessKey" });
    // Without a secret typed or saved, an S3 share is refused, naming the secret field.
    await expect(control.saveShare({ share: archive })).rejects.toMatchObject({ code: "Invalid", field: "secretAccessKey" });
    await expect(control.saveShare({ share: { name: "scratch", kind: "memory", protocol: "nfs" } })).resolves.toBeDefined();
    await expect(control.saveShare({ share: { name: "scratch", kind: "memory", protocol: "nfs" } })).rejects.toMatchObject({ code: "Invalid", field: "name" });
    expect(await control.removeShare("scratch")).toBe(true);
    // Saved as a definition; the secret is in the keychain, not in the settings file.
    settings.saveShare(archive);
    await keychain.set(ref, "the secret");
    const listed = await control.listShares();
    expect(JSON.stringify(listed)).not.toContain("the secret");
    expect(listed.find((share) => share.definition.name === "Archive")).toMatchObject({ secretStored: true, drive: { mounted: false } });
    expect(readFileSync(join(work, "settings.db")).includes("the secret")).toBe(false);
    settings.removeShare("Archive");
    await control.saveShare({ share: { name: "Other", kind: "memory", protocol: "nfs", autoMount: false } });
    expect(await control.removeShare("Other")).toBe(true);
  });
});

