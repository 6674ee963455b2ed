/**
 * The shares over SMB, driven by Samba's smbclient: share listing through IPC$/srvsvc, NTLMv2
 * logon, files put and got back byte for byte, directories made, names renamed and deleted, over
 * SMB 2.1 and 3.1.1 with signing required and with encryption required — and the same files seen
 * over NFS, both ways.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { fileSha256, writeRandomFile } from "./helpers/nfsclient.mjs";
import { freePort } from "./helpers/ports.mjs";
import { listShares, prepareSmb, SMB_MODES, smbclient, smbclientRun, type SmbLogin, type SmbMode } from "./helpers/smb.js";

const MiB = 1024 * 1024;
const PASSWORD = "correct horse battery staple";
const uid = process.getuid?.() ?? 0;
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
        shares: [{ name: "/export", root: { uid, gid, mode: 0o755 } }],
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

  it("lists the shares through IPC$", async () => {
    expect(await listShares(login)).toEqual(expect.arrayContaining(["export", "IPC$"]));
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
