/**
 * Durable handles (MS-SMB2 §3.3.5.9.6, .7, .10, .12) with a raw SMB2 client (e2e/helpers/smbraw.ts):
 * an open made durable with a batch oplock or a lease outlives its TCP connection, and its client
 * reclaims it from a new connection and session with its data, byte-range lock and caching; a
 * disconnected open closes for real after its timeout (delete on close honoured); another user
 * cannot reclaim it. smbtorture's durable-open and durable-v2-open suites cover the rest.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useRawSmbServer } from "./helpers/smb-suite.js";
import {
  SMB2_CLOSE,
  SMB2_CREATE,
  SMB2_LOCK,
  SMB2_LOGOFF,
  SMB2_READ,
  SMB2_WRITE,
  STATUS_ACCESS_DENIED,
  STATUS_SUCCESS,
  SmbRawClient,
  closeBody,
  createWithContextsBody,
  durableReconnectContext,
  durableReconnectV2Context,
  durableV1Context,
  durableV2Context,
  leaseContext,
  lockBody,
  readBody,
  responseContexts,
  writeBody,
  type Response,
} from "./helpers/smbraw.js";

const PASSWORD = "handles that last";
const OTHER_PASSWORD = "not alice";
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const HEADER = 64;
const LEVEL_BATCH = 0x09;
const LEVEL_LEASE = 0xff;
const R = 1;
const H = 2;
const W = 4;
const FILE_OPENED = 1;
const FILE_OPEN = 1;
const FILE_READ_ATTRIBUTES = 0x80;
const FILE_DELETE_ON_CLOSE = 0x1000;
const LOCK_EXCLUSIVE_NOW = 0x02 | 0x10;
const UNLOCK = 0x04;
const STATUS_OBJECT_NAME_NOT_FOUND = 0xc000_0034;
const STATUS_RANGE_NOT_LOCKED = 0xc000_007e;

/** The FileId, oplock level and create action of a successful CREATE. */
function opened(response: Response): { fileId: Buffer; oplockLevel: number; action: number } {
  expect(response.status, "CREATE").toBe(STATUS_SUCCESS);
  const body = response.message.subarray(HEADER);
  return { fileId: Buffer.from(body.subarray(64, 80)), oplockLevel: body[2]!, action: body.readUInt32LE(4) };
}

describe("SMB durable handles", () => {
  const suite = useRawSmbServer(
    [
      { name: "alice", password: PASSWORD, uid, gid },
      { name: "bob", password: OTHER_PASSWORD, uid, gid },
    ],
    [{ name: "/export", root: { uid, gid, mode: 0o777 } }],
  );
  const logon = (clientGuid?: Buffer, user = "alice", password = PASSWORD) => suite.logon(user, password, "export", clientGuid);

  /**
   * Reclaims a durable open from `client`. The server learns of the old connection's end a moment
   * after the client drops it; until then the open is not disconnected yet and the reclaim is
   * OBJECT_NAME_NOT_FOUND, so that answer is retried for a while.
   */
  const reclaim = async (client: SmbRawClient, body: Buffer): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const response = await client.call(SMB2_CREATE, body);
      if (response.status !== STATUS_OBJECT_NAME_NOT_FOUND || attempt === 50) return response;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it("a durable open with a batch oplock is reclaimed on a new connection and session, with its data and its byte-range lock", async () => {
    const first = await logon();
    const create = opened(await first.call(SMB2_CREATE, createWithContextsBody("batch.txt", [durableV1Context()], { oplockLevel: LEVEL_BATCH })));
    expect(create.oplockLevel).toBe(LEVEL_BATCH);
    expect([...responseContexts(await first.call(SMB2_CREATE, createWithContextsBody("batch-other.txt", [durableV1Context()], { oplockLevel: LEVEL_BATCH }))).keys()]).toEqual(["DHnQ"]);
    expect((await first.call(SMB2_WRITE, writeBody(create.fileId, 0n, Buffer.from("written before the drop")))).status).toBe(STATUS_SUCCESS);
    expect((await first.call(SMB2_LOCK, lockBody(create.fileId, 0n, 7n, LOCK_EXCLUSIVE_NOW))).status).toBe(STATUS_SUCCESS);
    first.destroy();

    const second = await logon();
    const back = opened(await reclaim(second, createWithContextsBody("batch.txt", [durableReconnectContext(create.fileId)])));
    expect(back.fileId.equals(create.fileId)).toBe(true);
    expect(back.oplockLevel).toBe(LEVEL_BATCH);
    expect(back.action).toBe(FILE_OPENED);
    const read = await second.call(SMB2_READ, readBody(back.fileId, 0n, 100));
    expect(read.status).toBe(STATUS_SUCCESS);
    expect(SmbRawClient.readData(read).toString()).toBe("written before the drop");
    // The lock came along: it unlocks once, and then there is none.
    expect((await second.call(SMB2_LOCK, lockBody(back.fileId, 0n, 7n, UNLOCK))).status).toBe(STATUS_SUCCESS);
    expect((await second.call(SMB2_LOCK, lockBody(back.fileId, 0n, 7n, UNLOCK))).status).toBe(STATUS_RANGE_NOT_LOCKED);
  });

  it("a durable v2 open with a lease is reclaimed only with its CreateGuid, lease key and client GUID", async () => {
    const clientGuid = randomBytes(16);
    const createGuid = randomBytes(16);
    const key = randomBytes(16);
    const first = await logon(clientGuid);
    const response = await first.call(SMB2_CREATE, createWithContextsBody("leased.txt", [leaseContext(key, R | W | H), durableV2Context(createGuid, 0)], { oplockLevel: LEVEL_LEASE }));
    const create = opened(response);
    expect(create.oplockLevel).toBe(LEVEL_LEASE);
    // The server's default timeout (60 s), no persistent flag.
    expect(responseContexts(response).get("DH2Q")).toEqual(Buffer.from([0x60, 0xea, 0, 0, 0, 0, 0, 0]));
    expect((await first.call(SMB2_WRITE, writeBody(create.fileId, 0n, Buffer.from("leased data")))).status).toBe(STATUS_SUCCESS);
    // A LOGOFF keeps durable opens too (as Windows does), and is done once answered: the open waits now.
    expect((await first.call(SMB2_LOGOFF, Buffer.from([4, 0, 0, 0]))).status).toBe(STATUS_SUCCESS);
    first.destroy();

    const reclaimBody = (guid: Buffer, leaseKey: Buffer) => createWithContextsBody("leased.txt", [leaseContext(leaseKey, 0), durableReconnectV2Context(create.fileId, guid)], { oplockLevel: LEVEL_LEASE });
    const stranger = await logon(randomBytes(16));
    const owner = await logon(clientGuid);
    expect((await owner.call(SMB2_CREATE, reclaimBody(randomBytes(16), key))).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
    expect((await stranger.call(SMB2_CREATE, reclaimBody(createGuid, key))).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
    expect((await owner.call(SMB2_CREATE, reclaimBody(createGuid, randomBytes(16)))).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);

    const back = await owner.call(SMB2_CREATE, reclaimBody(createGuid, key));
    expect(opened(back).fileId.equals(create.fileId)).toBe(true);
    expect(opened(back).oplockLevel).toBe(LEVEL_LEASE);
    expect(responseContexts(back).get("RqLs")!.readUInt32LE(16)).toBe(R | W | H);
    const read = await owner.call(SMB2_READ, readBody(create.fileId, 0n, 100));
    expect(SmbRawClient.readData(read).toString()).toBe("leased data");
  });

  it("a disconnected durable open closes after its timeout, and its delete on close removes the file", async () => {
    const createGuid = randomBytes(16);
    const first = await logon();
    const create = opened(
      await first.call(SMB2_CREATE, createWithContextsBody("expires.txt", [durableV2Context(createGuid, 1000)], { oplockLevel: LEVEL_BATCH, access: 0x0013_019f, options: 0x40 | FILE_DELETE_ON_CLOSE })),
    );
    expect(create.oplockLevel).toBe(LEVEL_BATCH);
    first.destroy();

    // An open of attributes only breaks no oplock: it sees the file while the durable open waits.
    const other = await logon();
    const statFile = async (): Promise<number> => {
      const response = await other.call(SMB2_CREATE, createWithContextsBody("expires.txt", [], { access: FILE_READ_ATTRIBUTES, disposition: FILE_OPEN, options: 0 }));
      if (response.status === STATUS_SUCCESS) expect((await other.call(SMB2_CLOSE, closeBody(opened(response).fileId))).status).toBe(STATUS_SUCCESS);
      return response.status;
    };
    expect(await statFile()).toBe(STATUS_SUCCESS);
    let status = STATUS_SUCCESS;
    for (let waited = 0; status === STATUS_SUCCESS && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await statFile();
    }
    expect(status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
    const late = await other.call(SMB2_CREATE, createWithContextsBody("expires.txt", [durableReconnectV2Context(create.fileId, createGuid)]));
    expect(late.status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
  });

  it("another user cannot reclaim a durable open; its own user still can", async () => {
    const first = await logon();
    const create = opened(await first.call(SMB2_CREATE, createWithContextsBody("alices.txt", [durableV1Context()], { oplockLevel: LEVEL_BATCH })));
    first.destroy();

    const bob = await logon(undefined, "bob", OTHER_PASSWORD);
    expect((await reclaim(bob, createWithContextsBody("alices.txt", [durableReconnectContext(create.fileId)]))).status).toBe(STATUS_ACCESS_DENIED);
    const alice = await logon();
    expect(opened(await alice.call(SMB2_CREATE, createWithContextsBody("alices.txt", [durableReconnectContext(create.fileId)]))).fileId.equals(create.fileId)).toBe(true);
  });
});
