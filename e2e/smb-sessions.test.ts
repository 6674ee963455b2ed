/**
 * SMB sessions with a raw SMB2 client (e2e/helpers/smbraw.ts): reauthentication of a valid
 * session (MS-SMB2 §3.3.5.5.2), a new session naming the old one as its PreviousSessionId
 * (§3.3.5.5.3), session binding refused (no multichannel), and the signed news that a session is
 * gone. smbtorture's smb2.session and smb2.notify suites (e2e/smbtorture.test.ts) cover more.
 */
import { describe, expect, it } from "vitest";
import { useRawSmbServer } from "./helpers/smb-suite.js";
import {
  SMB2_CHANGE_NOTIFY,
  SMB2_CLOSE,
  SMB2_CREATE,
  SMB2_QUERY_INFO,
  SMB2_READ,
  SMB2_SESSION_SETUP,
  SMB2_WRITE,
  STATUS_ACCESS_DENIED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  STATUS_USER_SESSION_DELETED,
  SmbRawClient,
  changeNotifyBody,
  closeBody,
  createBody,
  createWithContextsBody,
  frame,
  queryInfoBody,
  readBody,
  request,
  sessionSetupBody,
  writeBody,
  type FileId,
  type Response,
} from "./helpers/smbraw.js";

const ALICE = "sessions come and go";
const BOB = "bob's own secret";
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const HEADER = 64;
const STATUS_LOGON_FAILURE = 0xc000_006d;
const STATUS_SHARING_VIOLATION = 0xc000_0043;
const STATUS_NOTIFY_CLEANUP = 0x0000_010b;
const STATUS_REQUEST_NOT_ACCEPTED = 0xc000_00d0;
const SMB2_SESSION_FLAG_BINDING = 0x01;
const FILE_DIRECTORY_FILE = 0x01;
const FILE_NOTIFY_CHANGE_FILE_NAME = 0x01;
const STATUS_OBJECT_NAME_NOT_FOUND = 0xc000_0034;
/** Read, write and DELETE access; FILE_NON_DIRECTORY_FILE | FILE_DELETE_ON_CLOSE. */
const DELETE_ACCESS = 0x0013_019f;
const DELETE_ON_CLOSE_FILE = 0x1040;
/** CREATE's ShareAccess, at its offset in the request body (§2.2.13). */
const SHARE_ACCESS_AT = 32;

/** A CREATE of `name` that lets no other open of it in (ShareAccess 0). */
function exclusiveCreateBody(name: string): Buffer {
  const body = createBody(name);
  body.writeUInt32LE(0, SHARE_ACCESS_AT);
  return body;
}

function fileIdOf(response: Response): FileId {
  expect(response.status, "CREATE").toBe(STATUS_SUCCESS);
  return Buffer.from(response.message.subarray(HEADER + 64, HEADER + 80));
}

describe("SMB sessions", () => {
  const suite = useRawSmbServer(
    [
      { name: "alice", password: ALICE, uid, gid },
      { name: "bob", password: BOB, uid, gid },
    ],
    [{ name: "/export", root: { uid, gid, mode: 0o777 } }],
  );
  const logon = (user = "alice", password = ALICE) => suite.logon(user, password);

  /** A new connection and session of `user` naming `previousSessionId`, connected to the share. */
  const reconnect = async (user: string, password: string, previousSessionId: bigint): Promise<SmbRawClient> => {
    const c = suite.track(await SmbRawClient.connect(suite.port));
    await c.negotiate();
    await c.sessionSetup(user, password, previousSessionId);
    await c.treeConnect("export");
    return c;
  };

  it("reauthenticating with the right password keeps the session, its keys, its tree and its opens", async () => {
    const smb = await logon();
    const file = fileIdOf(await smb.call(SMB2_CREATE, createBody("reauth.txt")));
    expect((await smb.call(SMB2_WRITE, writeBody(file, 0n, Buffer.from("before")))).status).toBe(STATUS_SUCCESS);

    const reauth = await smb.reauthenticate("alice", ALICE);
    expect(reauth.status).toBe(STATUS_SUCCESS);
    expect(reauth.sessionId).toBe(smb.sessionId);
    // Signed with the key of the first logon: the session's keys did not change.
    expect(smb.signedBySession(reauth)).toBe(true);

    const read = await smb.call(SMB2_READ, readBody(file, 0n, 6));
    expect(read.status).toBe(STATUS_SUCCESS);
    expect(SmbRawClient.readData(read).toString()).toBe("before");
    expect(smb.signedBySession(read)).toBe(true);
    fileIdOf(await smb.call(SMB2_CREATE, createBody("after-reauth.txt")));
  });

  it("reauthenticating with a wrong password ends the session, and says so signed", async () => {
    const smb = await logon();
    const file = fileIdOf(await smb.call(SMB2_CREATE, exclusiveCreateBody("failed-reauth.txt")));

    const reauth = await smb.reauthenticate("alice", "not the password");
    expect(reauth.status).toBe(STATUS_LOGON_FAILURE);
    expect(smb.signedBySession(reauth)).toBe(true);

    // A client that requires signing only believes a signed USER_SESSION_DELETED.
    const after = await smb.call(SMB2_QUERY_INFO, queryInfoBody(file));
    expect(after.status).toBe(STATUS_USER_SESSION_DELETED);
    expect(smb.signedBySession(after)).toBe(true);
    // Its open closed with it: the file is free for others.
    const other = await logon();
    fileIdOf(await other.call(SMB2_CREATE, exclusiveCreateBody("failed-reauth.txt")));
  });

  it("reauthenticating as another user is refused, and the session stays its user's", async () => {
    const smb = await logon();
    const file = fileIdOf(await smb.call(SMB2_CREATE, createBody("other-user.txt")));

    const reauth = await smb.reauthenticate("bob", BOB);
    expect(reauth.status).toBe(STATUS_ACCESS_DENIED);
    expect((await smb.call(SMB2_QUERY_INFO, queryInfoBody(file))).status).toBe(STATUS_SUCCESS);
  });

  it("a new session naming the user's old one as PreviousSessionId ends it: its opens close, its CHANGE_NOTIFY answers NOTIFY_CLEANUP", async () => {
    const old = await logon();
    const file = fileIdOf(await old.call(SMB2_CREATE, exclusiveCreateBody("reconnect.txt")));
    const root = fileIdOf(await old.call(SMB2_CREATE, createBody("", undefined, undefined, FILE_DIRECTORY_FILE)));
    const notify = request(old.fields(SMB2_CHANGE_NOTIFY), changeNotifyBody(root, FILE_NOTIFY_CHANGE_FILE_NAME));
    await old.send(notify);
    expect((await old.receive()).status).toBe(STATUS_PENDING);

    // Another user naming it leaves it alone.
    const bob = await reconnect("bob", BOB, old.sessionId);
    expect((await old.call(SMB2_QUERY_INFO, queryInfoBody(file))).status).toBe(STATUS_SUCCESS);
    expect((await bob.call(SMB2_CREATE, exclusiveCreateBody("reconnect.txt"))).status).toBe(STATUS_SHARING_VIOLATION);

    const fresh = await reconnect("alice", ALICE, old.sessionId);
    const cleanup = await old.receive();
    expect(cleanup.command).toBe(SMB2_CHANGE_NOTIFY);
    expect(cleanup.status).toBe(STATUS_NOTIFY_CLEANUP);
    expect((await old.call(SMB2_QUERY_INFO, queryInfoBody(file))).status).toBe(STATUS_USER_SESSION_DELETED);
    // The old open let no one in; it is gone, so the new session opens the file.
    fileIdOf(await fresh.call(SMB2_CREATE, exclusiveCreateBody("reconnect.txt")));
  });

  it("binding a session to a second connection is refused (no multichannel), signed with the session's key", async () => {
    const alice = await logon();
    const file = fileIdOf(await alice.call(SMB2_CREATE, createBody("bound.txt")));
    const second = suite.track(await SmbRawClient.connect(suite.port));
    await second.negotiate();

    const bind = request({ ...second.fields(SMB2_SESSION_SETUP), sessionId: alice.sessionId }, sessionSetupBody(Buffer.alloc(0), undefined, 0n, SMB2_SESSION_FLAG_BINDING));
    await second.socket.write(frame(alice.sign(bind)));
    const refused = await second.receive();
    expect(refused.status).toBe(STATUS_REQUEST_NOT_ACCEPTED);
    expect(alice.signedBySession(refused)).toBe(true);
    expect((await alice.call(SMB2_QUERY_INFO, queryInfoBody(file))).status).toBe(STATUS_SUCCESS);
  });

  it("a dropped connection's delete-on-close open still removes its file, acting as the session's user", async () => {
    const alice = await logon();
    // A directory alice made (0755): only its owner may remove names in it, not an anonymous caller.
    const dir = fileIdOf(await alice.call(SMB2_CREATE, createWithContextsBody("alice-only", [], { options: FILE_DIRECTORY_FILE, disposition: 2 })));
    expect((await alice.call(SMB2_CLOSE, closeBody(dir))).status).toBe(STATUS_SUCCESS);
    fileIdOf(await alice.call(SMB2_CREATE, createWithContextsBody("alice-only\\doomed.txt", [], { access: DELETE_ACCESS, options: DELETE_ON_CLOSE_FILE })));
    alice.destroy();

    const other = await logon();
    let status = STATUS_SUCCESS;
    for (let i = 0; i < 50 && status !== STATUS_OBJECT_NAME_NOT_FOUND; i++) {
      const found = await other.call(SMB2_CREATE, createWithContextsBody("alice-only\\doomed.txt", [], { disposition: 1 }));
      status = found.status;
      if (status === STATUS_SUCCESS) await other.call(SMB2_CLOSE, closeBody(fileIdOf(found)));
      if (status !== STATUS_OBJECT_NAME_NOT_FOUND) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
  });
});
