/**
 * Resource limits against hostile or greedy clients over raw TCP: floods of tiny fragments,
 * idle connections, too many connections, and many connections pushing large WRITEs at once.
 * The server must stay alive, keep its memory bounded, and keep serving a real client.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import { nfsLs } from "./helpers/nfsclient.mjs";
import { Args, NFS3_OK, NFSPROC3, NFS_PROGRAM, ROOT, UNSTABLE, mount, results, status } from "./helpers/nfsraw.js";
import { RawConnection, decodeReply, encodeCall, record } from "./helpers/rawrpc.js";

const MiB = 1024 * 1024;
const MAX_CONNECTIONS = 12;

/** Raw connections a test opens to the server on `port()`, to be destroyed after each test. */
function rawConnections(port: () => number) {
  const open: RawConnection[] = [];
  const connect = async () => {
    const connection = await RawConnection.open(port());
    open.push(connection);
    return connection;
  };
  return { open, connect };
}

const nullCall = (connection: RawConnection, xid: number) => connection.call({ xid, prog: NFS_PROGRAM, vers: 3, proc: 0 });

/** The server's resident memory in bytes (Linux). */
function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Samples `pid`'s RSS every few ms while `work` runs; resolves with the highest seen. */
async function peakRssDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rss(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rss(pid));
    } catch {
      // The process is gone: the test's own checks say so.
    }
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rss(pid));
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("RPC resource limits", () => {
  const dittofs = useDittofs({
    maxRecordSize: "2MiB",
    nfs: { max_connections: MAX_CONNECTIONS, max_inflight_bytes: "8MiB" },
    cache: { max_dirty_bytes: "4MiB" },
  });
  const { open, connect } = rawConnections(() => dittofs().nfsPort);

  /** After each test: the process is alive and a real client still gets a listing. */
  afterEach(async () => {
    for (const connection of open.splice(0)) connection.destroy();
    expect(dittofs().server.alive, dittofs().server.describe()).toBe(true);
    await pause(200); // let the server see those connections close before the next test counts
    await nfsLs(dittofs().url());
  });

  it("a flood of 1-byte fragments on several connections is cut off and memory stays bounded", async () => {
    const pid = dittofs().server.pid;
    const before = rss(pid);
    // 1 MiB of 1-byte fragments, none of them the last: a record that never ends.
    const flood = Buffer.concat(Array.from({ length: Math.floor(MiB / 5) }, () => Buffer.from([0, 0, 0, 1, 0])));
    const connections = await Promise.all(Array.from({ length: 6 }, () => connect()));
    const peak = await peakRssDuring(pid, async () => {
      await Promise.all(
        connections.map(async (connection) => {
          // Up to 10 MB each, as long as the server listens.
          for (let i = 0; i < 10 && !connection.closed; i++) await connection.write(flood);
        }),
      );
    });
    for (const connection of connections) expect(await connection.waitClosed(5_000)).toBe(true);
    expect(peak - before).toBeLessThan(64 * MiB);
    // Others are served meanwhile.
    expect(await nullCall(await connect(), 1)).toMatchObject({ kind: "accepted", acceptStat: 0 });
  });

  it("closes connections over max_connections as they arrive; the others keep working", async () => {
    const admitted = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => connect()));
    await Promise.all(admitted.map((connection, i) => nullCall(connection, 100 + i)));
    const extra = await connect();
    expect(await extra.waitClosed(3_000)).toBe(true);
    const replies = await Promise.all(admitted.map((connection, i) => nullCall(connection, 200 + i)));
    for (const reply of replies) expect(reply).toMatchObject({ kind: "accepted", acceptStat: 0 });
    // Room again once one goes.
    admitted[0]!.destroy();
    await pause(200);
    expect(await nullCall(await connect(), 300)).toMatchObject({ kind: "accepted", acceptStat: 0 });
  });

  it("many connections pushing 1 MiB WRITEs at once: reading pauses, memory stays bounded, every WRITE succeeds", async () => {
    const pid = dittofs().server.pid;
    const setup = await connect();
    const dir = await mount(setup, "/export", 1);
    const files: Buffer[] = [];
    for (let i = 0; i < 10; i++) {
      const create = new Args().dirop(dir, `pressure-${i}`).u32(0).noAttrs().done();
      const body = results(await setup.call({ xid: 10 + i, prog: NFS_PROGRAM, vers: 3, proc: NFSPROC3.CREATE, sys: ROOT, args: create }));
      expect(body.readUInt32BE(0)).toBe(NFS3_OK);
      files.push(Buffer.from(body.subarray(12, 12 + body.readUInt32BE(8))));
    }
    setup.destroy();
    await pause(100);
    const writes = 16;
    const data = Buffer.alloc(MiB, 0x5a);
    // Built before connecting: building takes long enough for an idle connection to be closed.
    const records = files.map((file) =>
      Array.from({ length: writes }, (_, w) => {
        const args = new Args().opaque(file).u64(w * MiB).u32(MiB, UNSTABLE).opaque(data).done();
        return record(encodeCall({ xid: 1000 + w, prog: NFS_PROGRAM, vers: 3, proc: NFSPROC3.WRITE, sys: ROOT, args }));
      }),
    );
    const connections = await Promise.all(files.map(() => connect()));
    const before = rss(pid);
    const peak = await peakRssDuring(pid, async () => {
      await Promise.all(
        connections.map(async (connection, c) => {
          // Not awaited: every WRITE is pipelined at once.
          for (const write of records[c]!) void connection.write(write);
          for (let w = 0; w < writes; w++) expect(status(decodeReply(await connection.nextRecord(60_000)))).toBe(NFS3_OK);
        }),
      );
    });
    expect(peak - before, `RSS ${Math.round(before / MiB)} MiB before, peak ${Math.round(peak / MiB)} MiB`).toBeLessThan(96 * MiB);
  });
});

describe("idle connections", () => {
  // A server of its own: a short idle timeout would also close the other tests' connections
  // whenever this busy machine stalls the test process for a second.
  const dittofs = useDittofs({ metadata: "memory", content: "memory", nfs: { idle_timeout: "1s" } });
  const { open, connect } = rawConnections(() => dittofs().nfsPort);
  afterEach(() => {
    for (const connection of open.splice(0)) connection.destroy();
    expect(dittofs().server.alive, dittofs().server.describe()).toBe(true);
  });

  it("closes a connection idle for idle_timeout, not one in use", async () => {
    const idle = await connect();
    const busy = await connect();
    await nullCall(idle, 1);
    for (let i = 0; i < 10; i++) {
      await nullCall(busy, 10 + i);
      await pause(250);
    }
    expect(idle.closed).toBe(true);
    expect(busy.closed).toBe(false);
    expect(await busy.waitClosed(5_000)).toBe(true);
  });
});
