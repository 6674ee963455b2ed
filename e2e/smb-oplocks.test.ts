/**
 * Oplocks and leases with a raw SMB2 client (e2e/helpers/smbraw.ts): what a CREATE is granted,
 * the break notifications (MS-SMB2 §2.2.23) another open, an SMB write and NFS reads and writes
 * send, and that whoever broke a cache of writes waits for the acknowledgment. smbtorture's
 * smb2.oplock and smb2.lease suites (e2e/smbtorture.test.ts) cover the grant tables at length.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { NfsClient } from "./helpers/nfsclient.mjs";
import { useRawSmbServer } from "./helpers/smb-suite.js";
import {
  SMB2_CLOSE,
  SMB2_CREATE,
  SMB2_OPLOCK_BREAK,
  SMB2_WRITE,
  STATUS_PENDING,
  STATUS_SUCCESS,
  cachingCreateBody,
  closeBody,
  leaseAckBody,
  oplockAckBody,
  writeBody,
  type Response,
} from "./helpers/smbraw.js";

const PASSWORD = "caches are promises";
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const HEADER = 64;
const LEVEL_II = 0x01;
const LEVEL_BATCH = 0x09;
const LEVEL_LEASE = 0xff;
const R = 1;
const H = 2;
const W = 4;
const ACK_REQUIRED = 1;
const NOTIFICATION_ID = 0xffff_ffff_ffff_ffffn;

interface Opened {
  fileId: Buffer;
  oplockLevel: number;
  leaseState: number | null;
}

/** The FileId, oplock level and (when granted) lease state of a CREATE response. */
function opened(response: Response): Opened {
  expect(response.status, "CREATE").toBe(STATUS_SUCCESS);
  const body = response.message.subarray(HEADER);
  const contextsOffset = body.readUInt32LE(80);
  // The lease context is the only one asked for: its data (key, state) starts 24 bytes in.
  const leaseState = contextsOffset === 0 ? null : response.message.readUInt32LE(contextsOffset + 24 + 16);
  return { fileId: Buffer.from(body.subarray(64, 80)), oplockLevel: body[2]!, leaseState };
}

/** A lease break notification (§2.2.23.2): key, the state held and the state to keep. */
function leaseBreak(message: Response): { flags: number; key: Buffer; current: number; next: number } {
  const body = message.message.subarray(HEADER);
  expect(body.readUInt16LE(0)).toBe(44);
  return { flags: body.readUInt32LE(4), key: Buffer.from(body.subarray(8, 24)), current: body.readUInt32LE(24), next: body.readUInt32LE(28) };
}

/** Whether the promise has settled, without waiting for it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol("pending");
  return (await Promise.race([promise.then(() => true, () => true), new Promise((resolve) => setTimeout(() => resolve(marker), 300))])) === true;
}

describe("SMB oplocks and leases", () => {
  const suite = useRawSmbServer([{ name: "alice", password: PASSWORD, uid, gid }], [{ name: "/export", root: { uid, gid, mode: 0o755 } }]);
  let nfs: NfsClient;
  const logon = () => suite.logon("alice", PASSWORD);

  beforeAll(async () => {
    nfs = await suite.server.client();
  });

  it("an NFS write breaks an SMB lease that caches writes, and lands only once the client has acknowledged", async () => {
    const smb = await logon();
    const key = randomBytes(16);
    const file = opened(await smb.call(SMB2_CREATE, cachingCreateBody("leased.txt", { leaseKey: key, leaseState: R | W | H })));
    expect(file.oplockLevel).toBe(LEVEL_LEASE);
    expect(file.leaseState).toBe(R | W | H);
    expect((await smb.call(SMB2_WRITE, writeBody(file.fileId, 0n, Buffer.from("cached by smb")))).status).toBe(STATUS_SUCCESS);

    const nfsWrite = nfs.bytes("pwrite", "/leased.txt", "0", "NFS");
    const notification = await smb.receive();
    expect(notification.command).toBe(SMB2_OPLOCK_BREAK);
    expect(notification.messageId).toBe(NOTIFICATION_ID);
    const brk = leaseBreak(notification);
    expect(brk).toEqual({ flags: ACK_REQUIRED, key, current: R | W | H, next: 0 });
    // The write waits for the client to flush and give up its cache.
    expect(await settled(nfsWrite)).toBe(false);

    const ack = await smb.call(SMB2_OPLOCK_BREAK, leaseAckBody(key, 0));
    expect(ack.status).toBe(STATUS_SUCCESS);
    expect(ack.message.readUInt32LE(HEADER + 24)).toBe(0);
    await nfsWrite;
    expect((await nfs.bytes("cat", "/leased.txt")).toString()).toBe("NFShed by smb");
    expect((await smb.call(SMB2_CLOSE, closeBody(file.fileId))).status).toBe(STATUS_SUCCESS);
  });

  it("an NFS read takes write caching away (the client flushes) and leaves read and handle caching", async () => {
    const smb = await logon();
    const key = randomBytes(16);
    const file = opened(await smb.call(SMB2_CREATE, cachingCreateBody("read-by-nfs.txt", { leaseKey: key, leaseState: R | W | H })));
    expect(file.leaseState).toBe(R | W | H);
    expect((await smb.call(SMB2_WRITE, writeBody(file.fileId, 0n, Buffer.from("flushed")))).status).toBe(STATUS_SUCCESS);

    const nfsRead = nfs.bytes("cat", "/read-by-nfs.txt");
    expect(leaseBreak(await smb.receive())).toEqual({ flags: ACK_REQUIRED, key, current: R | W | H, next: R | H });
    expect(await settled(nfsRead)).toBe(false);
    expect((await smb.call(SMB2_OPLOCK_BREAK, leaseAckBody(key, R | H))).status).toBe(STATUS_SUCCESS);
    expect((await nfsRead).toString()).toBe("flushed");

    // A second read finds nothing to break: the lease caches no writes any more.
    expect((await nfs.bytes("cat", "/read-by-nfs.txt")).toString()).toBe("flushed");
    expect((await smb.call(SMB2_CLOSE, closeBody(file.fileId))).status).toBe(STATUS_SUCCESS);
  });

  it("a second open breaks a batch oplock to level II: its CREATE goes pending until the holder acknowledges", async () => {
    const holder = await logon();
    const first = opened(await holder.call(SMB2_CREATE, cachingCreateBody("batch.txt", { oplockLevel: LEVEL_BATCH })));
    expect(first.oplockLevel).toBe(LEVEL_BATCH);

    const other = await logon();
    const interim = await other.call(SMB2_CREATE, cachingCreateBody("batch.txt", { oplockLevel: LEVEL_BATCH }));
    expect(interim.status).toBe(STATUS_PENDING);

    const notification = await holder.receive();
    expect(notification.command).toBe(SMB2_OPLOCK_BREAK);
    const body = notification.message.subarray(HEADER);
    expect(body.readUInt16LE(0)).toBe(24);
    expect(body[2]).toBe(LEVEL_II);
    expect(Buffer.from(body.subarray(8, 24))).toEqual(first.fileId);

    const ack = await holder.call(SMB2_OPLOCK_BREAK, oplockAckBody(first.fileId, LEVEL_II));
    expect(ack.status).toBe(STATUS_SUCCESS);
    expect(ack.message[HEADER + 2]).toBe(LEVEL_II);
    const second = opened(await other.receive());
    expect(second.oplockLevel).toBe(LEVEL_II);

    // A write through the second open takes the first's level II away, with no acknowledgment.
    expect((await other.call(SMB2_WRITE, writeBody(second.fileId, 0n, Buffer.from("x")))).status).toBe(STATUS_SUCCESS);
    const toNone = await holder.receive();
    expect(toNone.command).toBe(SMB2_OPLOCK_BREAK);
    expect(toNone.message[HEADER + 2]).toBe(0);
  });
});
