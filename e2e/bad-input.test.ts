/**
 * Hostile and broken input over raw TCP: the server answers what RFC 5531 defines an answer for,
 * drops what it cannot parse, never crashes, and keeps serving real clients afterwards.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import { nfsLs } from "./helpers/nfsclient.mjs";
import { LAST_FRAGMENT, RawConnection, encodeCall, record } from "./helpers/rawrpc.js";

const NFS_PROGRAM = 100003;
const MOUNT_PROGRAM = 100005;
const UNKNOWN_PROGRAM = 0x2000_1234;
/** accept_stat / reject_stat (RFC 5531 §9). */
const SUCCESS = 0;
const PROG_UNAVAIL = 1;
const PROG_MISMATCH = 2;
const PROC_UNAVAIL = 3;
const GARBAGE_ARGS = 4;
const RPC_MISMATCH = 0;

const MAX_RECORD = 2 * 1024 * 1024;

describe("bad input over raw sockets", () => {
  const dittofs = useDittofs({ maxRecordSize: MAX_RECORD });
  const open: RawConnection[] = [];
  const connect = async () => {
    const connection = await RawConnection.open(dittofs().nfsPort);
    open.push(connection);
    return connection;
  };

  /** After each bad input: the process is alive and a real client still gets a listing. */
  afterEach(async () => {
    for (const connection of open.splice(0)) connection.destroy();
    expect(dittofs().server.alive, dittofs().server.describe()).toBe(true);
    const names = (await nfsLs(dittofs().url())).map((entry) => entry.name);
    expect(names).toContain("canary.txt");
  });

  beforeAll(async () => {
    await (await dittofs().client()).bytes("write", "/canary.txt", "still here");
  });

  it("answers an unknown program with PROG_UNAVAIL and keeps the connection open", async () => {
    const connection = await connect();
    const reply = await connection.call({ xid: 0x0a0b0c0d, prog: UNKNOWN_PROGRAM, vers: 1, proc: 0 });
    expect(reply).toMatchObject({ xid: 0x0a0b0c0d, kind: "accepted", acceptStat: PROG_UNAVAIL });

    const nfsNull = await connection.call({ xid: 2, prog: NFS_PROGRAM, vers: 3, proc: 0 });
    expect(nfsNull).toMatchObject({ xid: 2, kind: "accepted", acceptStat: SUCCESS });
    expect(nfsNull.kind === "accepted" && nfsNull.results.length).toBe(0);
  });

  it("answers unsupported NFS and MOUNT versions with PROG_MISMATCH and the supported range", async () => {
    const connection = await connect();
    for (const [prog, vers, supported] of [
      [NFS_PROGRAM, 2, 3],
      [NFS_PROGRAM, 4, 3],
      [MOUNT_PROGRAM, 4, 3],
    ] as const) {
      const reply = await connection.call({ xid: vers, prog, vers, proc: 0 });
      expect(reply, `${prog} v${vers}`).toMatchObject({ kind: "accepted", acceptStat: PROG_MISMATCH });
      const range = reply.kind === "accepted" ? reply.mismatch! : { low: -1, high: -1 };
      expect(range.low).toBeLessThanOrEqual(supported);
      expect(range.high).toBeGreaterThanOrEqual(supported);
    }
  });

  it("answers an unknown NFSv3 procedure with PROC_UNAVAIL", async () => {
    const connection = await connect();
    const reply = await connection.call({ xid: 7, prog: NFS_PROGRAM, vers: 3, proc: 22 });
    expect(reply).toMatchObject({ xid: 7, kind: "accepted", acceptStat: PROC_UNAVAIL });
  });

  it("answers RPC version 3 with MSG_DENIED / RPC_MISMATCH 2..2", async () => {
    const connection = await connect();
    const reply = await connection.call({ xid: 8, prog: NFS_PROGRAM, vers: 3, proc: 0, rpcvers: 3 });
    expect(reply).toEqual({ xid: 8, kind: "denied", rejectStat: RPC_MISMATCH, mismatch: { low: 2, high: 2 } });
  });

  it("answers GETATTR with truncated arguments with GARBAGE_ARGS", async () => {
    const connection = await connect();
    const handleLengthOnly = Buffer.from([0, 0, 0, 32]);
    const reply = await connection.call({ xid: 9, prog: NFS_PROGRAM, vers: 3, proc: 1, args: handleLengthOnly });
    expect(reply).toMatchObject({ xid: 9, kind: "accepted", acceptStat: GARBAGE_ARGS });
  });

  it("survives garbage bytes", async () => {
    const connection = await connect();
    // A plausible small record of random bytes, then unframed noise.
    await connection.write(record(randomBytes(60)));
    await connection.write(randomBytes(4096));
    await connection.waitClosed(2_000);
  });

  it("survives a truncated record followed by close", async () => {
    const connection = await connect();
    const call = encodeCall({ xid: 10, prog: NFS_PROGRAM, vers: 3, proc: 0 });
    const mark = Buffer.alloc(4);
    mark.writeUInt32BE((LAST_FRAGMENT | (call.length + 100)) >>> 0);
    await connection.write(Buffer.concat([mark, call]));
    await connection.end();
  });

  it("closes a connection whose record header exceeds max_record_size", async () => {
    const connection = await connect();
    const mark = Buffer.alloc(4);
    mark.writeUInt32BE((LAST_FRAGMENT | (64 * 1024 * 1024)) >>> 0);
    await connection.write(Buffer.concat([mark, randomBytes(64 * 1024)]));
    expect(await connection.waitClosed(5_000)).toBe(true);
  });

  it("closes a connection whose fragments add up to more than max_record_size", async () => {
    const connection = await connect();
    const fragment = Buffer.alloc(4 + 1024 * 1024);
    fragment.writeUInt32BE(1024 * 1024); // not the last fragment
    for (let i = 0; i < 3 && !connection.closed; i++) await connection.write(fragment);
    expect(await connection.waitClosed(5_000)).toBe(true);
  });
});
