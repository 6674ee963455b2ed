/**
 * DOS attributes and creation times over SMB, driven by Samba's smbclient against dittofs on the
 * SQLite store: `setmode` and `utimes` set them, `ls` reads the attributes back, the database
 * holds them after the server stops, a restarted server reports them again, a hidden file refuses
 * an overwrite that does not name it hidden (MS-FSA §2.1.5.1.2), and NFS keeps seeing the mode
 * and size SMB left.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { nfsLs } from "./helpers/nfsclient.mjs";
import { freePort } from "./helpers/ports.mjs";
import { prepareSmb, smbclient, smbclientRun, type SmbLogin } from "./helpers/smb.js";

const PASSWORD = "dos attributes secret";
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
/** smbclient's `utimes` reads local time, as `new Date(y, m, d, ...)` does. */
const CREATED = { text: "2001:02:03-04:05:06", sec: new Date(2001, 1, 3, 4, 5, 6).getTime() / 1000 };

/** The attribute letters smbclient's `ls` shows for `name` (D, H, S, R, A, N…), sorted. */
function lettersOf(listing: string, name: string): string {
  const line = listing.split("\n").find((l) => l.trimStart().startsWith(`${name} `));
  if (!line) throw new Error(`'${name}' is not in the listing:\n${listing}`);
  const match = /^\s+\S+\s+([A-Z]+)\s+\d+\s/.exec(line);
  if (!match) throw new Error(`no attributes in ${JSON.stringify(line)}`);
  return [...match[1]!].sort().join("");
}

describe("SMB DOS attributes and creation time (smbclient, SQLite store)", () => {
  let server: E2eServer;
  let login: SmbLogin;
  let work: string;

  beforeAll(async () => {
    await prepareSmb();
    const port = await freePort();
    server = await E2eServer.start(
      {
        metadata: "sqlite",
        smb: { enabled: true, port, users: [{ name: "alice", password: "env:DITTOFS_E2E_SMB_PASSWORD", uid, gid }] },
        shares: [{ name: "/export", root: { uid, gid, mode: 0o755 } }],
      },
      { DITTOFS_E2E_SMB_PASSWORD: PASSWORD },
    );
    login = { port, user: "alice", password: PASSWORD };
    work = mkdtempSync(join(tmpdir(), "dittofs-smb-dos-"));
    writeFileSync(join(work, "seven.txt"), "7 bytes");
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail" && server) console.error(server.server.describe());
  });

  afterAll(async () => {
    await server?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("keeps hidden, system, archive and read-only as set, and a new file is archive", async () => {
    await smbclient(login, "export", "put seven.txt dos.txt; mkdir dir", [], work);
    expect(lettersOf(await smbclient(login, "export", "ls"), "dos.txt")).toBe("A");
    await smbclient(login, "export", "setmode dos.txt +hs; setmode dir +hr");
    const listing = await smbclient(login, "export", "ls");
    expect(lettersOf(listing, "dos.txt")).toBe("AHS");
    expect(lettersOf(listing, "dir")).toBe("DHR");
    await smbclient(login, "export", "setmode dos.txt -a");
    expect(lettersOf(await smbclient(login, "export", "ls"), "dos.txt")).toBe("HS");
  });

  it("refuses to overwrite a hidden file with a create that does not name it hidden", async () => {
    const refused = await smbclientRun(login, "export", "put seven.txt dos.txt", [], work);
    expect(`${refused.stdout}${refused.stderr}`).toContain("NT_STATUS_ACCESS_DENIED");
    expect(lettersOf(await smbclient(login, "export", "ls"), "dos.txt")).toBe("HS");
  });

  it("sets the creation time, and a write marks the file archive again", async () => {
    await smbclient(login, "export", `utimes dos.txt ${CREATED.text} -1 -1 -1; setmode dos.txt +r`);
    expect(lettersOf(await smbclient(login, "export", "ls"), "dos.txt")).toBe("HRS");
    await smbclient(login, "export", "setmode dos.txt -r; setmode dos.txt -hs; put seven.txt dos.txt; setmode dos.txt +h", [], work);
    expect(lettersOf(await smbclient(login, "export", "ls"), "dos.txt")).toBe("AH");
  });

  it("shows NFS the mode and size SMB left: read-only is the owner's write bit", async () => {
    await smbclient(login, "export", "setmode dos.txt +r");
    const entries = await nfsLs(server.url());
    expect(entries.find((e) => e.name === "dos.txt")).toMatchObject({ mode: "-r--r--r--", size: 7 });
    expect(entries.find((e) => e.name === "dir")?.mode).toBe("drwxr-xr-x");
    await smbclient(login, "export", "setmode dos.txt -r");
    expect((await nfsLs(server.url())).find((e) => e.name === "dos.txt")?.mode).toBe("-rw-r--r--");
  });

  it("keeps them in the database, and reports them again after a restart", async () => {
    await smbclient(login, "export", `utimes dos.txt ${CREATED.text} -1 -1 -1`);
    await server.server.stop();
    const db = new Database(join(server.dir, "meta.db"), { readonly: true });
    try {
      const row = db
        .prepare(`SELECT n.birth_sec, n.dos_attributes FROM entries e JOIN nodes n ON n.id = e.child_id WHERE e.name = 'dos.txt'`)
        .get() as { birth_sec: number; dos_attributes: number };
      // HIDDEN | ARCHIVE: READONLY of a file lives in its mode, not here.
      expect(row).toEqual({ birth_sec: CREATED.sec, dos_attributes: 0x22 });
    } finally {
      db.close();
    }
    await server.restart();
    const listing = await smbclient(login, "export", "ls");
    expect(lettersOf(listing, "dos.txt")).toBe("AH");
    expect(lettersOf(listing, "dir")).toBe("DHR");
  });
});
