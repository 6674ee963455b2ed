/**
 * The duplicate request cache, through raw RPC: a client that resends a non-idempotent call with
 * the same xid (after a lost reply, on the same connection or a new one) gets the original reply,
 * byte for byte, instead of the outcome of running the call again (NOENT, EEXIST).
 */
import { afterEach, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import { Args, NFS3_OK, NFS3ERR_EXIST, NFS3ERR_NOENT, NFSPROC3, NFS_PROGRAM, ROOT, lookup, mount, results, status } from "./helpers/nfsraw.js";
import { type CallOptions, RawConnection, type Reply } from "./helpers/rawrpc.js";

/** createmode3 */
const UNCHECKED = 0;
const EXCLUSIVE = 2;
/** time_how: SET_TO_SERVER_TIME */
const SET_TO_SERVER_TIME = 1;

describe("duplicate request cache", () => {
  const dittofs = useDittofs({ metadata: "memory", content: "memory" });
  const open: RawConnection[] = [];
  const connect = async () => {
    const connection = await RawConnection.open(dittofs().nfsPort);
    open.push(connection);
    return connection;
  };
  afterEach(() => {
    for (const connection of open.splice(0)) connection.destroy();
  });

  let nextXid = 0x5000_0000;
  const nfs = (proc: number, args: Buffer, xid = nextXid++): CallOptions => ({ xid, prog: NFS_PROGRAM, vers: 3, proc, sys: ROOT, args });

  /** Sends `call`, then resends it on the same connection and on a new one: three identical replies. */
  async function sendThrice(call: CallOptions): Promise<Reply> {
    const first = await connect();
    const original = await first.call(call);
    const again = await first.call(call);
    const second = await connect();
    const elsewhere = await second.call(call);
    expect(results(again).equals(results(original))).toBe(true);
    expect(results(elsewhere).equals(results(original))).toBe(true);
    return original;
  }

  async function root(): Promise<Buffer> {
    return mount(await connect(), "/export", nextXid++);
  }

  async function createFile(dir: Buffer, name: string): Promise<void> {
    const reply = await (await connect()).call(nfs(NFSPROC3.CREATE, new Args().dirop(dir, name).u32(UNCHECKED).noAttrs().done()));
    expect(status(reply)).toBe(NFS3_OK);
  }

  it("MKDIR resent gets its own OK, not NFS3ERR_EXIST", async () => {
    const dir = await root();
    const original = await sendThrice(nfs(NFSPROC3.MKDIR, new Args().dirop(dir, "made").noAttrs().done()));
    expect(status(original)).toBe(NFS3_OK);
  });

  it("REMOVE resent gets its own OK, not NFS3ERR_NOENT", async () => {
    const dir = await root();
    await createFile(dir, "doomed");
    const original = await sendThrice(nfs(NFSPROC3.REMOVE, new Args().dirop(dir, "doomed").done()));
    expect(status(original)).toBe(NFS3_OK);
    await expect(lookup(await connect(), dir, "doomed", nextXid++)).rejects.toThrow(`nfsstat3 ${NFS3ERR_NOENT}`);
  });

  it("RENAME resent gets its own OK, not NFS3ERR_NOENT", async () => {
    const dir = await root();
    await createFile(dir, "before");
    const original = await sendThrice(nfs(NFSPROC3.RENAME, new Args().dirop(dir, "before").dirop(dir, "after").done()));
    expect(status(original)).toBe(NFS3_OK);
    await lookup(await connect(), dir, "after", nextXid++);
  });

  it("EXCLUSIVE CREATE resent after the client set the file's times gets its own OK, not NFS3ERR_EXIST", async () => {
    const dir = await root();
    const create = nfs(NFSPROC3.CREATE, new Args().dirop(dir, "exclusive").u32(EXCLUSIVE).fixed(Buffer.from("verifier")).done());
    const connection = await connect();
    const original = await connection.call(create);
    expect(status(original)).toBe(NFS3_OK);
    // What a client does next (RFC 1813 §3.3.8): set the attributes, times included, which
    // overwrites the verifier the server kept in the file's times.
    const file = await lookup(connection, dir, "exclusive", nextXid++);
    const setTimes = new Args().opaque(file).u32(1, 0o644, 0, 0, 0, SET_TO_SERVER_TIME, SET_TO_SERVER_TIME).u32(0).done();
    expect(status(await connection.call(nfs(NFSPROC3.SETATTR, setTimes)))).toBe(NFS3_OK);
    const again = await connection.call(create);
    const elsewhere = await (await connect()).call(create);
    expect(results(again).equals(results(original))).toBe(true);
    expect(results(elsewhere).equals(results(original))).toBe(true);
  });

  it("the same xid with other arguments is a new call, not a cache hit", async () => {
    const dir = await root();
    const xid = nextXid++;
    const connection = await connect();
    const first = await connection.call(nfs(NFSPROC3.MKDIR, new Args().dirop(dir, "one").noAttrs().done(), xid));
    const second = await connection.call(nfs(NFSPROC3.MKDIR, new Args().dirop(dir, "two").noAttrs().done(), xid));
    expect(status(first)).toBe(NFS3_OK);
    expect(status(second)).toBe(NFS3_OK);
    expect(results(second).equals(results(first))).toBe(false);
    await lookup(connection, dir, "two", nextXid++);
    // And the same arguments under a new xid run again: the directory exists now.
    const third = await connection.call(nfs(NFSPROC3.MKDIR, new Args().dirop(dir, "two").noAttrs().done()));
    expect(status(third)).toBe(NFS3ERR_EXIST);
  });
});
