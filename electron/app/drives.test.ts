import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ServerStatus } from "../../core/index.js";
import { mounterFor, type Mounter } from "../mount/mounter.js";
import type { CommandRunner } from "../mount/runner.js";
import type { Command, MountShare } from "../mount/types.js";
import type { AppShare } from "../settings/app-settings.js";
import { Drives, driveLetterFor, type DrivesOptions } from "./drives.js";
import { trayActions } from "./tray-actions.js";

const appShare = (name: string, protocol: AppShare["protocol"] = "both"): AppShare =>
  ({ name, kind: "memory", protocol, cacheBytes: 1 << 30, autoMount: true, litter: [] }) as AppShare;
const SHARES = [appShare("My Photos"), appShare("docs", "nfs")];
const STATUS: ServerStatus = {
  version: "0",
  managed: false,
  startedAt: "2026-01-01T00:00:00Z",
  listeners: { nfs: { bind: "127.0.0.1", port: 12049, mountPort: 12050 }, smb: { bind: "127.0.0.1", port: 12445 }, portmap: null },
  shares: [],
  unserved: [],
  problem: null,
};
const root = mkdtempSync(join(tmpdir(), "dittofs-drives-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The real Mounter of `platform` over a runner that records each command and answers `code`. */
function recordingMounter(platform: NodeJS.Platform, code = 0) {
  const commands: Command[] = [];
  const runner: CommandRunner = async (command) => (commands.push(command), { code, signal: null, timedOut: false, stdout: "", stderr: code === 0 ? "" : "mount_nfs: busy" });
  return { commands, mounter: mounterFor(platform, { runner, mountRoot: root, release: "10.0.26100" }) };
}

function drives(mounter: Mounter, platform: NodeJS.Platform, changes: Partial<DrivesOptions> = {}) {
  const seen: string[] = [];
  const d = new Drives({
    mounter,
    platform,
    shares: () => SHARES,
    status: async () => STATUS,
    smbPassword: async () => "s3cret",
    onChange: (states) => seen.push(JSON.stringify([...states])),
    ...changes,
  });
  return { drives: d, seen };
}

describe("Drives", () => {
  it("mounts a share with the server's ports and remembers it as wanted, then unmounts it", async () => {
    const { commands, mounter } = recordingMounter("darwin");
    const { drives: d } = drives(mounter, "darwin");
    await d.mount("My Photos");
    const dir = join(root, "my-photos");
    // First a look at the mount table (a drive still mounted is taken as it is), then the mount.
    expect(commands[0]).toEqual({ command: "/sbin/mount", args: [] });
    expect(commands[1]).toEqual({ command: "/sbin/mount_nfs", args: ["-o", expect.stringContaining("port=12049,mountport=12050"), "127.0.0.1:/my-photos", dir] });
    expect(d.states().get("My Photos")).toEqual({ mounted: true, mountPoint: dir, wantMounted: true });
    expect(d.mountPointOf("My Photos")).toBe(dir);
    await d.unmount("My Photos");
    expect(commands.at(-1)).toEqual({ command: "/usr/sbin/diskutil", args: ["unmount", dir] });
    expect(d.states().get("My Photos")).toEqual({ mounted: false, mountPoint: null, wantMounted: false });
  });

  it("takes a drive that is still mounted as it is, and lists one the OS dropped", async () => {
    const dir = join(root, "my-photos");
    let table = `127.0.0.1:/my-photos on ${dir} (nfs, nodev, nosuid, mounted by alice)\n`;
    const commands: Command[] = [];
    const runner: CommandRunner = async (command) => (commands.push(command), { code: 0, signal: null, timedOut: false, stdout: command.command === "/sbin/mount" ? table : "", stderr: "" });
    const { drives: d } = drives(mounterFor("darwin", { runner, mountRoot: root }), "darwin");
    await d.mount("My Photos");
    expect(commands.map((command) => command.command)).toEqual(["/sbin/mount"]);
    expect(d.states().get("My Photos")).toEqual({ mounted: true, mountPoint: dir, wantMounted: true });
    expect(d.dropped()).toEqual([]);
    table = "";
    await d.refresh();
    expect(d.dropped()).toEqual(["My Photos"]);
  });

  it("gives the SMB password to the mount (on stdin) but never to the copied command", async () => {
    const { commands, mounter } = recordingMounter("linux");
    const { drives: d } = drives(mounter, "linux");
    await d.mount("My Photos");
    expect(commands[0]).toEqual({ command: "gio", args: ["mount", "smb://127.0.0.1:12445/my-photos/"], stdin: "dittofs\nWORKGROUP\ns3cret\n" });
    expect(await d.mountCommand("My Photos")).toBe("gio mount smb://127.0.0.1:12445/my-photos/");
  });

  it("writes the mount command each OS takes", async () => {
    const mac = await drives(recordingMounter("darwin").mounter, "darwin").drives.mountCommand("My Photos");
    expect(mac).toMatch(new RegExp(`^/sbin/mount_nfs -o \\S*port=12049,mountport=12050\\S* 127\\.0\\.0\\.1:/my-photos ${join(root, "my-photos")}$`));
    const win = await drives(recordingMounter("win32").mounter, "win32").drives.mountCommand("My Photos");
    expect(win).toBe("net use Z: \\\\127.0.0.1\\my-photos /TCPPORT:12445 /PERSISTENT:NO");
  });

  it("refuses to mount a share over a protocol it is not served with, naming the fix", async () => {
    const { commands, mounter } = recordingMounter("linux");
    await expect(drives(mounter, "linux").drives.mount("docs")).rejects.toThrow(/docs is served over NFS only.*choose SMB \(or both\)/);
    await expect(drives(mounter, "linux").drives.mount("nope")).rejects.toThrow('there is no share named "nope"');
    expect(commands).toEqual([]);
  });

  it("keeps a failed mount unmounted and reports what failed on quit", async () => {
    const failing = recordingMounter("darwin", 1);
    const { drives: d } = drives(failing.mounter, "darwin");
    await expect(d.mount("My Photos")).rejects.toThrow(/mount_nfs: busy/);
    expect(d.states().get("My Photos")).toBeUndefined();
    const ok = recordingMounter("darwin");
    const { drives: both } = drives(ok.mounter, "darwin");
    await both.mount("My Photos");
    ok.commands.length = 0;
    expect(await both.unmountAll()).toEqual([]);
    expect(ok.commands.map((c) => c.command)).toEqual(["/usr/sbin/diskutil"]);
  });

  it("notices a drive the OS dropped, and keeps it wanted", async () => {
    let live = true;
    const mounter: Mounter = {
      mount: async (share: MountShare) => ({ mountPoint: `/mnt/${share.name}`, warnings: [] }),
      unmount: async () => {},
      isMounted: async () => live,
      mountPoint: (share) => `/mnt/${share.name}`,
    };
    const { drives: d } = drives(mounter, "darwin");
    await d.mount("docs");
    await d.refresh();
    expect(d.states().get("docs")?.mounted).toBe(true);
    live = false;
    await d.refresh();
    expect(d.states().get("docs")).toEqual({ mounted: false, mountPoint: null, wantMounted: true });
  });

  it("gives Windows drives letters from Z: down", () => {
    expect([0, 1, 2].map(driveLetterFor)).toEqual(["Z:", "Y:", "X:"]);
  });
});

describe("trayActions", () => {
  function services(d: Drives) {
    const done: string[] = [];
    const run = trayActions({
      drives: d,
      openPath: async (path) => (done.push(`open ${path}`), ""),
      writeClipboard: (text) => done.push(`clipboard ${text}`),
      openSettings: (route) => done.push(`settings ${JSON.stringify(route ?? null)}`),
      setLaunchAtLogin: async (enabled) => void done.push(`login ${enabled}`),
      quit: () => done.push("quit"),
      report: (title, message) => done.push(`report ${title}: ${message}`),
    });
    return { run, done };
  }

  it("runs each action and reports failures instead of throwing", async () => {
    const { mounter } = recordingMounter("linux");
    const { run, done } = services(drives(mounter, "linux").drives);
    await run({ kind: "open-drive", share: "My Photos" });
    await run({ kind: "mount", share: "My Photos" });
    await run({ kind: "open-drive", share: "My Photos" });
    await run({ kind: "copy-mount-command", share: "My Photos" });
    await run({ kind: "mount", share: "docs" });
    await run({ kind: "show-share-settings", share: "docs" });
    await run({ kind: "mount-bucket" });
    await run({ kind: "open-settings" });
    await run({ kind: "set-launch-at-login", enabled: true });
    await run({ kind: "quit" });
    expect(done).toEqual([
      "report Could not open My Photos: My Photos is not mounted",
      expect.stringMatching(/^open .*my-photos$/),
      "clipboard gio mount smb://127.0.0.1:12445/my-photos/",
      expect.stringMatching(/^report Could not mount docs: docs is served over NFS only/),
      'settings {"edit":"docs"}',
      'settings {"add":true}',
      "settings null",
      "login true",
      "quit",
    ]);
  });

  it("reports a launch-at-login change the control refused", async () => {
    const { mounter } = recordingMounter("linux");
    const done: string[] = [];
    const run = trayActions({
      drives: drives(mounter, "linux").drives,
      openPath: async () => "",
      writeClipboard: () => {},
      openSettings: () => {},
      setLaunchAtLogin: () => Promise.reject(new Error("the settings file is read-only")),
      quit: () => {},
      report: (t, m) => done.push(`${t}: ${m}`),
    });
    await run({ kind: "set-launch-at-login", enabled: false });
    expect(done).toEqual(["DittoFS could not do that: the settings file is read-only"]);
  });

  it("reports an error from the file manager", async () => {
    const { mounter } = recordingMounter("darwin");
    const d = drives(mounter, "darwin").drives;
    await d.mount("My Photos");
    const done: string[] = [];
    const run = trayActions({ ...services(d), drives: d, openPath: async () => "Failed to open path", writeClipboard: () => {}, openSettings: () => {}, setLaunchAtLogin: async () => {}, quit: () => {}, report: (t, m) => done.push(`${t}: ${m}`) });
    await run({ kind: "open-drive", share: "My Photos" });
    expect(done).toEqual(["Could not open My Photos: Failed to open path"]);
  });
});
