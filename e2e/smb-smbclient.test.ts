/**
 * The shares over SMB, driven by Samba's smbclient: share listing through IPC$/srvsvc, NTLMv2
 * logon, files put and got back byte for byte, directories made, names renamed and deleted, over
 * SMB 2.1 and 3.1.1 with signing required and with encryption required — and the same files seen
 * over NFS, both ways.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { fileSha256, writeRandomFile } from "./helpers/nfsclient.mjs";
import { freePort } from "./helpers/ports.mjs";
import { mount, MOUNT_PROGRAM, results, ROOT } from "./helpers/nfsraw.js";
import { RawConnection } from "./helpers/rawrpc.js";
import { listShares, prepareSmb, SMB_MODES, smbclient, smbclientRun, type SmbLogin, type SmbMode } from "./helpers/smb.js";

const MiB = 1024 * 1024;
const PASSWORD = "correct horse battery staple";
const uid = process.getuid?.() ?? 0;
/** RFC 1813 §5.2.5. */
const MOUNTPROC3_EXPORT = 5;

/** The directories of an exports list (RFC 1813 §5.1.6: entries of a directory and its groups). */
function exportedDirs(body: Buffer): string[] {
  let at = 0;
  const word = () => body.readUInt32BE((at += 4) - 4);
  const string = () => {
    const length = word();
    const text = body.toString("utf8", at, at + length);
    at += (length + 3) & ~3;
    return text;
  };
  const dirs: string[] = [];
  while (word() === 1) {
    dirs.push(string());
    while (word() === 1) string();
  }
  return dirs;
}
const gid = process.getgid?.() ?? 0;

describe("SMB with smbclient", () => {
  let server: E2eServer;
  let login: SmbLogin;
  let work: string;

  beforeAll(async () => {
    await prepareSmb();
    const port = await freePort();
    server = await E2eServer.start(
      {
        smb: { enabled: true, port, users: [{ name: "alice", password: "env:DITTOFS_E2E_SMB_PASSWORD", uid, gid }] },
        shares: [
          { name: "/export", root: { uid, gid, mode: 0o755 } },
          { name: "/nfsonly", root: { uid, gid, mode: 0o755 }, protocols: ["nfs"] },
          { name: "/smbonly", root: { uid, gid, mode: 0o755 }, protocols: ["smb"] },
        ],
      },
      { DITTOFS_E2E_SMB_PASSWORD: PASSWORD },
    );
    login = { port, user: "alice", password: PASSWORD };
    work = mkdtempSync(join(tmpdir(), "dittofs-smb-"));
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail" && server) console.error(server.server.describe());
  });

  afterAll(async () => {
    await server?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("lists the shares through IPC$: those served over SMB only", async () => {
    const listed = await listShares(login);
    expect(listed).toEqual(expect.arrayContaining(["export", "smbonly", "IPC$"]));
    expect(listed).not.toContain("nfsonly");
  });

  it("serves each share over its protocols only: NFS neither lists nor mounts an SMB-only share, SMB refuses an NFS-only one", async () => {
    const nfsOnly = await smbclientRun(login, "nfsonly", "ls");
    expect(`${nfsOnly.stdout}${nfsOnly.stderr}`).toContain("NT_STATUS_BAD_NETWORK_NAME");
    expect(await smbclient(login, "smbonly", "ls")).toContain("blocks available");

    const connection = await RawConnection.open(server.nfsPort);
    try {
      const exports = results(await connection.call({ xid: 1, prog: MOUNT_PROGRAM, vers: 3, proc: MOUNTPROC3_EXPORT, sys: ROOT }));
      expect(exportedDirs(exports)).toEqual(["/export", "/nfsonly"]);
      expect((await mount(connection, "/nfsonly", 2)).length).toBeGreaterThan(0);
      // MNT3ERR_NOENT, as for a path that is no export.
      await expect(mount(connection, "/smbonly", 3)).rejects.toThrow("mountstat3 2");
    } finally {
      connection.destroy();
    }
  });

  it("refuses a wrong password and an unknown user", async () => {
    const wrong = await smbclientRun({ ...login, password: "wrong" }, "export", "ls");
    expect(`${wrong.stdout}${wrong.stderr}`).toContain("NT_STATUS_LOGON_FAILURE");
    const unknown = await smbclientRun({ ...login, user: "mallory" }, "export", "ls");
    expect(`${unknown.stdout}${unknown.stderr}`).toContain("NT_STATUS_LOGON_FAILURE");
  });

  it("refuses a share that does not exist", async () => {
    const result = await smbclientRun(login, "nosuchshare", "ls");
    expect(`${result.stdout}${result.stderr}`).toContain("NT_STATUS_BAD_NETWORK_NAME");
  });

  describe.each(Object.keys(SMB_MODES) as SmbMode[])("%s", (mode) => {
    const options = SMB_MODES[mode];
    const dir = mode.replace(/[^A-Za-z0-9]+/g, "_");

    it("puts and gets a file byte for byte, makes a directory, renames and deletes", async () => {
      const source = join(work, `${dir}.bin`);
      const sha = writeRandomFile(source, 8 * MiB + 12345);
      await smbclient(login, "export", `mkdir ${dir}; cd ${dir}; put ${dir}.bin data.bin; rename data.bin moved.bin; get moved.bin back.bin`, options, work);
      expect(await fileSha256(join(work, "back.bin"))).toBe(sha);
      const listing = await smbclient(login, "export", `cd ${dir}; ls`, options);
      expect(listing).toContain("moved.bin");
      expect(listing).not.toContain("data.bin");
      await smbclient(login, "export", `cd ${dir}; del moved.bin; cd ..; rmdir ${dir}`, options);
      expect(await smbclient(login, "export", "ls", options)).not.toContain(dir);
    });
  });

  it("puts and gets 256 MiB with identical bytes (SMB 3.1.1, signed)", async () => {
    const source = join(work, "big.bin");
    const sha = writeRandomFile(source, 256 * MiB);
    await smbclient(login, "export", "put big.bin big.bin; get big.bin big.back", SMB_MODES["SMB 3.1.1, signing required"], work);
    expect(await fileSha256(join(work, "big.back"))).toBe(sha);
    await smbclient(login, "export", "del big.bin");
    rmSync(source);
    rmSync(join(work, "big.back"));
  });

  it("finds names without case and keeps the case they were given, also for names NFS made", async () => {
    writeFileSync(join(work, "one.txt"), "first\n");
    writeFileSync(join(work, "two.txt"), "second\n");
    await smbclient(login, "export", "mkdir CaseDir; put one.txt CaseDir\\Mixed.TXT", [], work);
    await smbclient(login, "export", "get casedir\\mixed.txt got.txt; put two.txt CASEDIR\\MIXED.txt", [], work);
    expect(readFileSync(join(work, "got.txt"), "utf8")).toBe("first\n");
    const listing = await smbclient(login, "export", "cd casedir; ls");
    expect(listing).toContain("Mixed.TXT");
    expect(listing).not.toMatch(/MIXED\.txt|mixed\.txt/);
    await smbclient(login, "export", "rename CaseDir\\mixed.txt CaseDir\\MiXeD.txt; get CaseDir\\MIXED.TXT got2.txt", [], work);
    expect(readFileSync(join(work, "got2.txt"), "utf8")).toBe("second\n");
    expect(await smbclient(login, "export", "cd CaseDir; ls")).toContain("MiXeD.txt");
    // A name made over NFS after SMB listed the directory is found too.
    const nfs = await server.client();
    await nfs.bytes("write", "/CaseDir/FromNfs.txt", "nfs\n");
    await smbclient(login, "export", "get casedir\\fromnfs.TXT got3.txt", [], work);
    expect(readFileSync(join(work, "got3.txt"), "utf8")).toBe("nfs\n");
    await smbclient(login, "export", "cd CaseDir; del MiXeD.txt; del FromNfs.txt; cd ..; rmdir CaseDir");
  });

  it("sets and clears the read-only attribute, which is the owner's write bit over NFS too", async () => {
    writeFileSync(join(work, "ro.txt"), "read me\n");
    await smbclient(login, "export", "put ro.txt ro.txt; setmode ro.txt +r", [], work);
    const nfs = await server.client();
    const mode = async () => (await nfs.json<{ mode: number }>("stat", "/ro.txt")).mode & 0o777;
    expect(await mode()).toBe(0o444);
    expect(await smbclient(login, "export", "ls ro.txt")).toMatch(/ro\.txt +[A-Z]*R/);
    await smbclient(login, "export", "setmode ro.txt -r");
    expect(await mode()).toBe(0o644);
    await smbclient(login, "export", "del ro.txt");
  });

  it("notifies a watching client of names added over SMB and over NFS (CHANGE_NOTIFY)", async () => {
    await smbclient(login, "export", "mkdir watched");
    // smbclient's notify waits for changes and prints "<action> <name>" for each, until killed.
    const watcher = spawn("stdbuf", ["-oL", "smbclient", "//127.0.0.1/export", "-p", String(login.port), "-U", login.user, "-c", "notify watched"], {
      env: { ...process.env, PASSWD: login.password },
    });
    let output = "";
    watcher.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      // The watch starts with smbclient's first CHANGE_NOTIFY; wait until it is pending.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      writeFileSync(join(work, "n.txt"), "n\n");
      await smbclient(login, "export", "put n.txt watched\\by-smb.txt", [], work);
      const nfs = await server.client();
      await nfs.bytes("write", "/watched/by-nfs.txt", "nfs\n");
      for (let i = 0; i < 100 && !(output.includes("by-smb.txt") && output.includes("by-nfs.txt")); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      watcher.kill();
    }
    expect(output).toMatch(/0001 by-smb\.txt/);
    expect(output).toMatch(/0001 by-nfs\.txt/);
    await smbclient(login, "export", "cd watched; del by-smb.txt; del by-nfs.txt; cd ..; rmdir watched");
  });

  it("notifies a tree watch of sizes changed over SMB and over NFS, and of names two levels down", async () => {
    await smbclient(login, "export", "mkdir tree; mkdir tree\\a; mkdir tree\\a\\b");
    writeFileSync(join(work, "small.txt"), "s\n");
    writeFileSync(join(work, "large.txt"), "a larger file\n".repeat(100));
    await smbclient(login, "export", "put small.txt tree\\by-smb.txt; put small.txt tree\\a\\by-nfs.txt", [], work);
    // smbclient watches with FILE_NOTIFY_CHANGE_ALL and WATCH_TREE, printing "<action> <path>".
    const watcher = watch(login, "tree");
    try {
      await watcher.started;
      await smbclient(login, "export", "put large.txt tree\\by-smb.txt", [], work);
      const nfs = await server.client();
      await nfs.bytes("truncate", "/tree/a/by-nfs.txt", "5000");
      await smbclient(login, "export", "put small.txt tree\\a\\b\\deep.txt", [], work);
      await watcher.until(["0003 by-smb.txt", "0003 a\\by-nfs.txt", "0001 a\\b\\deep.txt"]);
    } finally {
      watcher.stop();
    }
    // FILE_ACTION_MODIFIED (3) for the sizes, FILE_ACTION_ADDED (1) with the path below the watch.
    expect(watcher.output()).toContain("0003 by-smb.txt");
    expect(watcher.output()).toContain("0003 a\\by-nfs.txt");
    expect(watcher.output()).toContain("0001 a\\b\\deep.txt");
    await smbclient(login, "export", "deltree tree");
  });

  it("lists a directory whose listing spans many QUERY_DIRECTORY answers", async () => {
    const nfs = await server.client();
    await nfs.json("put-many", "/many", "800", "1");
    const listing = await smbclient(login, "export", "cd many; ls");
    const names = listing.match(/f\d{6}/g) ?? [];
    expect(new Set(names).size).toBe(800);
    expect(await listShares(login)).toContain("export");
  });

  it("sees over NFS what SMB wrote, and over SMB what NFS wrote", async () => {
    writeFileSync(join(work, "from-smb.txt"), "written over SMB\n");
    await smbclient(login, "export", "put from-smb.txt from-smb.txt", [], work);
    const nfs = await server.client();
    expect((await nfs.bytes("cat", "/from-smb.txt")).toString()).toBe("written over SMB\n");
    await nfs.bytes("write", "/from-nfs.txt", "written over NFS\n");
    await smbclient(login, "export", "get from-nfs.txt from-nfs.txt", [], work);
    expect(readFileSync(join(work, "from-nfs.txt"), "utf8")).toBe("written over NFS\n");
  });
});

/** smbclient's `notify` on a directory, its output gathered until stopped. */
function watch(login: SmbLogin, dir: string) {
  const child = spawn("stdbuf", ["-oL", "smbclient", "//127.0.0.1/export", "-p", String(login.port), "-U", login.user, "-c", `notify ${dir}`], {
    env: { ...process.env, PASSWD: login.password },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    // The watch starts with smbclient's first CHANGE_NOTIFY, some time after it connects.
    started: pause(1500),
    output: () => output,
    /** Waits (10 s at most) until every line is in the output. */
    async until(lines: string[]): Promise<void> {
      for (let i = 0; i < 100 && !lines.every((line) => output.includes(line)); i++) await pause(100);
    },
    stop: () => child.kill(),
  };
}
