/**
 * The macOS and Windows mounters cannot run their OS's tools here: a runner that records each
 * command and answers with captured output checks the order and what each step does with the
 * answer. The Linux mounter runs for real in e2e/desktop-mount.test.ts.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LinuxMounter, MacMounter, WindowsMounter, mounterFor } from "./mounter.js";
import type { CommandRunner, RunResult } from "./runner.js";
import type { Command, MountShare } from "./types.js";

function recorder(answer: (command: Command) => Partial<RunResult>): { runner: CommandRunner; ran: Command[] } {
  const ran: Command[] = [];
  const runner: CommandRunner = async (command) => {
    ran.push(command);
    return { code: 0, signal: null, timedOut: false, stdout: "", stderr: "", ...answer(command) };
  };
  return { runner, ran };
}

const share: MountShare = {
  name: "export",
  nfs: { exportPath: "/export", port: 12049, mountPort: 12050 },
  smb: { port: 10445, user: "bob", password: "pass phrase" },
  driveLetter: "z",
};

describe("mounterFor", () => {
  it("picks the mounter of the platform and refuses others", () => {
    expect(mounterFor("linux")).toBeInstanceOf(LinuxMounter);
    expect(mounterFor("win32")).toBeInstanceOf(WindowsMounter);
    expect(mounterFor("darwin", { mountRoot: "/Users/alice/DittoFS" })).toBeInstanceOf(MacMounter);
    expect(() => mounterFor("darwin")).toThrow(/macOS mounts need a mountRoot/);
    expect(() => mounterFor("freebsd")).toThrow("mounting shares is not supported on freebsd");
  });
});

describe("MacMounter", () => {
  let root: string | undefined;
  afterEach(() => root && rmSync(root, { recursive: true, force: true }));

  it("creates the user's folder, mounts, switches Spotlight off, and reports a Spotlight failure as a warning", async () => {
    root = mkdtempSync(join(tmpdir(), "dittofs-mac-"));
    const { runner, ran } = recorder((command) => (command.command.endsWith("mdutil") ? { code: 1, stderr: "Error: unknown indexing state." } : {}));
    const mounter = new MacMounter({ runner, mountRoot: root });
    const dir = join(root, "export");
    expect(await mounter.mount(share)).toEqual({ mountPoint: dir, warnings: [`Spotlight indexing could not be switched off for ${dir}: Error: unknown indexing state.`] });
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(ran.map((c) => [c.command, ...c.args])).toEqual([
      ["/sbin/mount_nfs", "-o", "vers=3,tcp,port=12049,mountport=12050,locallocks,soft,retrans=5,timeo=10", "127.0.0.1:/export", dir],
      ["/usr/bin/mdutil", "-i", "off", dir],
    ]);
  });

  it("reads mount's output to tell whether the share is live", async () => {
    const listing = (dir: string) => `/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)\n127.0.0.1:/export on ${dir} (nfs, nodev, nosuid, mounted by alice)\n`;
    const live = new MacMounter({ runner: recorder(() => ({ stdout: listing("/Users/alice/DittoFS/export") })).runner, mountRoot: "/Users/alice/DittoFS" });
    expect(await live.isMounted(share)).toBe(true);
    const elsewhere = new MacMounter({ runner: recorder(() => ({ stdout: listing("/Volumes/export") })).runner, mountRoot: "/Users/alice/DittoFS" });
    expect(await elsewhere.isMounted(share)).toBe(false);
  });

  it("fails a mount with what mount_nfs said", async () => {
    root = mkdtempSync(join(tmpdir(), "dittofs-mac-"));
    const { runner, ran } = recorder(() => ({ code: 61, stderr: "mount_nfs: can't mount /export from 127.0.0.1 onto /x: Connection refused" }));
    await expect(new MacMounter({ runner, mountRoot: root }).mount(share)).rejects.toThrow(/mounting export on .*: \/sbin\/mount_nfs failed \(exit 61\): mount_nfs: .*Connection refused/);
    expect(ran).toHaveLength(1); // no Spotlight step after a failed mount
  });
});

describe("WindowsMounter", () => {
  it("refuses on Windows before 24H2 without running anything", async () => {
    const { runner, ran } = recorder(() => ({}));
    await expect(new WindowsMounter({ runner, release: "10.0.22631" }).mount(share)).rejects.toThrow(/Windows 11 24H2 \(build 26100\) or later/);
    expect(ran).toEqual([]);
  });

  it("maps the drive on 24H2 and reads net use to tell whether it is live", async () => {
    const netUse = "Status       Local     Remote                    Network\r\n\r\n---------------------------------------------------\r\nOK           Z:        \\\\127.0.0.1\\export        Microsoft Windows Network\r\nThe command completed successfully.\r\n";
    const { runner, ran } = recorder((command) => (command.args.length === 1 ? { stdout: netUse } : {}));
    const mounter = new WindowsMounter({ runner, release: "10.0.26100" });
    expect(await mounter.mount(share)).toEqual({ mountPoint: "Z:", warnings: [] });
    expect(await mounter.isMounted(share)).toBe(true);
    expect(await mounter.isMounted({ ...share, driveLetter: "Y:" })).toBe(false);
    expect(ran[0]).toEqual({ command: "net", args: ["use", "Z:", "\\\\127.0.0.1\\export", "/TCPPORT:10445", "/PERSISTENT:NO"] });
    expect(JSON.stringify(ran)).not.toContain("pass phrase");
  });

  it("counts nothing as mounted when net use fails", async () => {
    const { runner } = recorder(() => ({ code: 2, stderr: "System error 1222 has occurred." }));
    expect(await new WindowsMounter({ runner, release: "10.0.26100" }).isMounted(share)).toBe(false);
  });
});
