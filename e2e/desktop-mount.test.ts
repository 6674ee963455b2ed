/**
 * The desktop app's Linux mounter for real: a DittoFS server with SMB, a private GNOME-style
 * session (D-Bus + gvfs), and electron/mount's LinuxMounter mounting the share with gio. A file
 * written with plain fs through the mount point reads back over smbclient.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LinuxMounter, mounterFor } from "../electron/mount/mounter.js";
import type { MountShare } from "../electron/mount/types.js";
import { type GvfsSession, requireGvfs, startGvfsSession } from "./helpers/gvfs.mjs";
import { E2eServer } from "./helpers/harness.js";
import { freePort } from "./helpers/ports.mjs";
import { prepareSmb, smbServer, smbclient } from "./helpers/smb.js";
import { requireTools } from "./helpers/tools.mjs";

const USER = "carol";
const PASSWORD = "desktop mount pass phrase";
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;

describe("desktop app: the Linux mounter (gio/gvfs) against a DittoFS SMB share", () => {
  let server: E2eServer;
  let session: GvfsSession;
  let work: string;
  let share: MountShare;

  beforeAll(async () => {
    await requireTools(["gvfs-smb", "gvfs-fuse", "dbus-run-session"]);
    await prepareSmb();
    requireGvfs();
    const port = await freePort();
    server = await E2eServer.start(...smbServer(port, [{ name: USER, password: PASSWORD, uid, gid }], [{ name: "/export", root: { uid, gid, mode: 0o755 } }]));
    work = mkdtempSync(join(tmpdir(), "dittofs-desktop-mount-"));
    session = await startGvfsSession(work);
    share = { name: "export", smb: { port, user: USER, password: PASSWORD } };
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail") {
      if (server) console.error(server.server.describe());
      if (session) console.error(session.describe());
    }
  });

  afterAll(async () => {
    await session?.stop();
    await server?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("mounts, shows the share's files through the mount point, and unmounts", async () => {
    const mounter = mounterFor("linux", { env: session.env });
    expect(mounter).toBeInstanceOf(LinuxMounter);
    const point = mounter.mountPoint(share);
    expect(point).toBe(join(session.fuseDir, `smb-share:port=${share.smb!.port},server=127.0.0.1,share=export`));
    expect(await mounter.isMounted(share)).toBe(false);

    const result = await mounter.mount(share);
    expect(result).toEqual({ mountPoint: point, warnings: [] });
    expect(await mounter.isMounted(share)).toBe(true);
    expect(readdirSync(session.fuseDir)).toContain(`smb-share:port=${share.smb!.port},server=127.0.0.1,share=export`);

    const text = `written through the gvfs mount at ${new Date().toISOString()}\n`;
    writeFileSync(join(point, "from-desktop.txt"), text);
    const login = { port: share.smb!.port, user: USER, password: PASSWORD };
    const back = join(work, "back.txt");
    await smbclient(login, "export", `get from-desktop.txt ${back}`);
    expect(readFileSync(back, "utf8")).toBe(text);
    expect(readFileSync(join(point, "from-desktop.txt"), "utf8")).toBe(text);

    await mounter.unmount(share);
    expect(await mounter.isMounted(share)).toBe(false);
  });

  it("reports a wrong password as a failed mount, and nothing is mounted", async () => {
    const mounter = mounterFor("linux", { env: session.env });
    const wrong: MountShare = { ...share, smb: { ...share.smb!, password: "not the password" } };
    const failure = await mounter.mount(wrong).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure?.message).toMatch(/^mounting export: gio failed \(exit \d+\)/);
    expect(failure?.message).not.toContain("not the password");
    expect(await mounter.isMounted(share)).toBe(false);
  });
});
