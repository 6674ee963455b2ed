/**
 * require_privileged_port (knfsd's `secure`): MOUNT and NFS calls on such a share must come from
 * a source port below 1024, which only root can bind. The test binds one itself, so it runs as
 * root (as CI does).
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import { Args, MNT3ERR_ACCES, MOUNTPROC3_MNT, MOUNT_PROGRAM, NFS3_OK, NFS3ERR_PERM, NFSPROC3, NFS_PROGRAM, ROOT, mount, results, status } from "./helpers/nfsraw.js";
import { RawConnection } from "./helpers/rawrpc.js";

/** A connection from a random source port in 600..1023; retried while ports are taken. */
async function openPrivileged(port: number): Promise<RawConnection> {
  for (let attempt = 0; ; attempt++) {
    const localPort = 600 + Math.floor(Math.random() * 424);
    try {
      return await RawConnection.open(port, localPort);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 20) throw err;
    }
  }
}

describe("require_privileged_port", () => {
  const dittofs = useDittofs({
    metadata: "memory",
    content: "memory",
    shares: [{ name: "/secure", requirePrivilegedPort: true }, { name: "/open" }],
  });
  const open: RawConnection[] = [];
  const track = (connection: RawConnection) => {
    open.push(connection);
    return connection;
  };
  const privileged = async () => track(await openPrivileged(dittofs().nfsPort));
  const unprivileged = async () => track(await RawConnection.open(dittofs().nfsPort));

  beforeAll(() => {
    expect(process.getuid?.(), "binding a source port below 1024 needs root: run this test as root").toBe(0);
  });
  afterEach(() => {
    for (const connection of open.splice(0)) connection.destroy();
  });

  const mnt = (path: string) => ({ xid: 7, prog: MOUNT_PROGRAM, vers: 3, proc: MOUNTPROC3_MNT, sys: ROOT, args: new Args().string(path).done() });
  const getattr = (fh: Buffer) => ({ xid: 8, prog: NFS_PROGRAM, vers: 3, proc: NFSPROC3.GETATTR, sys: ROOT, args: new Args().opaque(fh).done() });

  it("refuses MNT from a port >= 1024 with MNT3ERR_ACCES and admits it from a port < 1024", async () => {
    expect(status(await (await unprivileged()).call(mnt("/secure")))).toBe(MNT3ERR_ACCES);
    const reply = await (await privileged()).call(mnt("/secure"));
    expect(status(reply)).toBe(0);
    expect(results(reply).readUInt32BE(4)).toBeGreaterThan(0);
  });

  it("refuses NFS calls from a port >= 1024 with NFS3ERR_PERM, even with a handle got legitimately", async () => {
    const low = await privileged();
    const fh = await mount(low, "/secure");
    expect(status(await low.call(getattr(fh)))).toBe(NFS3_OK);
    expect(status(await (await unprivileged()).call(getattr(fh)))).toBe(NFS3ERR_PERM);
  });

  it("leaves shares without the option open to any port", async () => {
    const high = await unprivileged();
    const fh = await mount(high, "/open");
    expect(status(await high.call(getattr(fh)))).toBe(NFS3_OK);
  });
});
