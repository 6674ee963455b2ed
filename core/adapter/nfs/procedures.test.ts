/**
 * NFSv3 and MOUNT v3 over real TCP against the adapter with the real registry, services and
 * memory stores: every procedure's result arms, byte for byte as RFC 1813 lays them out, and the
 * bad input a server meets in the wild (malformed and forged handles, truncated arguments,
 * bogus cookie verifiers, names that are not names).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryContentStore } from "../../content/store/memory/index.js";
import { MemoryMetadataStore } from "../../metadata/store/memory/index.js";
import * as M from "../../protocol/nfs/mount/constants.js";
import * as P from "../../protocol/nfs/v3/constants.js";
import { GARBAGE_ARGS, SUCCESS } from "../../protocol/rpc/constants.js";
import type { AuthSysCredential } from "../../protocol/rpc/types.js";
import { XdrReader } from "../../protocol/xdr/reader.js";
import { XdrWriter } from "../../protocol/xdr/writer.js";
import { Registry } from "../../registry/registry.js";
import { silentLogger } from "../../util/logger.js";
import { RpcClient } from "../rpc/client.js";
import { NfsAdapter } from "./adapter.js";
import { shareConfig } from "../../testing/share-config.js";

const ROOT: AuthSysCredential = { stamp: 1, machineName: "tester", uid: 0, gid: 0, gids: [] };


// ---- a small NFSv3 client over RpcClient, decoding results as RFC 1813 lays them out ----

interface Attr {
  type: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  used: number;
  rdev: [number, number];
  fsid: number;
  fileid: number;
  atime: [number, number];
  mtime: [number, number];
  ctime: [number, number];
}

const time = (r: XdrReader): [number, number] => [r.u32(), r.u32()];

function fattr3(r: XdrReader): Attr {
  return {
    type: r.u32(),
    mode: r.u32(),
    nlink: r.u32(),
    uid: r.u32(),
    gid: r.u32(),
    size: r.u64(),
    used: r.u64(),
    rdev: [r.u32(), r.u32()],
    fsid: r.u64(),
    fileid: r.u64(),
    atime: time(r),
    mtime: time(r),
    ctime: time(r),
  };
}

const postOpAttr = (r: XdrReader) => (r.bool() ? fattr3(r) : null);

function wccData(r: XdrReader) {
  const before = r.bool() ? { size: r.u64(), mtime: time(r), ctime: time(r) } : null;
  return { before, after: postOpAttr(r) };
}

const fh = (r: XdrReader) => Buffer.from(r.opaqueVar(1024));

const diropargs = (w: XdrWriter, dir: Buffer, name: string | Buffer) => {
  w.opaqueVar(dir);
  if (typeof name === "string") w.string(name);
  else w.opaqueVar(name);
};

/** sattr3 with only the given fields set. */
function sattr3(w: XdrWriter, s: { mode?: number; size?: number } = {}): void {
  w.optional(s.mode, (o, v) => o.u32(v));
  w.bool(false); // uid
  w.bool(false); // gid
  w.optional(s.size, (o, v) => o.u64(v));
  w.u32(P.DONT_CHANGE);
  w.u32(P.DONT_CHANGE);
}

class Client {
  constructor(
    readonly rpc: RpcClient,
    /** null: AUTH_NONE. */
    private readonly sys: AuthSysCredential | null = ROOT,
  ) {}

  static async connect(port: number, sys: AuthSysCredential | null = ROOT): Promise<Client> {
    return new Client(await RpcClient.connect("127.0.0.1", port), sys);
  }

  async call(proc: number, fill: (w: XdrWriter) => void = () => {}, prog = P.NFS_PROGRAM): Promise<XdrReader> {
    const w = new XdrWriter();
    fill(w);
    const { reply, results } = await this.rpc.call({ prog, vers: 3, proc, args: w.toBuffer(), ...(this.sys ? { sys: this.sys } : {}) });
    expect(reply).toMatchObject({ status: "accepted", acceptStat: SUCCESS });
    return results;
  }

  async mnt(path: string | Buffer): Promise<{ status: number; fh?: Buffer; flavors?: number[] }> {
    const r = await this.call(M.MOUNTPROC3_MNT, (w) => (typeof path === "string" ? w.string(path) : w.opaqueVar(path)), M.MOUNT_PROGRAM);
    const status = r.u32();
    if (status !== M.MNT3_OK) return { status };
    const handle = fh(r);
    const flavors = Array.from({ length: r.u32() }, () => r.u32());
    return { status, fh: handle, flavors };
  }

  async getattr(handle: Buffer): Promise<{ status: number; attr?: Attr }> {
    const r = await this.call(P.NFSPROC3_GETATTR, (w) => w.opaqueVar(handle));
    const status = r.u32();
    return status === P.NFS3_OK ? { status, attr: fattr3(r) } : { status };
  }

  async lookup(dir: Buffer, name: string | Buffer) {
    const r = await this.call(P.NFSPROC3_LOOKUP, (w) => diropargs(w, dir, name));
    const status = r.u32();
    if (status !== P.NFS3_OK) return { status, dirAttr: postOpAttr(r) };
    return { status, fh: fh(r), attr: postOpAttr(r), dirAttr: postOpAttr(r) };
  }

  /** CREATE / MKDIR / SYMLINK / MKNOD results. */
  private newObject(r: XdrReader) {
    const status = r.u32();
    if (status !== P.NFS3_OK) return { status, dirWcc: wccData(r) };
    const handle = r.bool() ? fh(r) : undefined;
    return { status, fh: handle, attr: postOpAttr(r), dirWcc: wccData(r) };
  }

  async create(dir: Buffer, name: string, how: "unchecked" | "guarded" | Buffer = "guarded", attrs: { mode?: number; size?: number } = {}) {
    const r = await this.call(P.NFSPROC3_CREATE, (w) => {
      diropargs(w, dir, name);
      if (Buffer.isBuffer(how)) {
        w.u32(P.EXCLUSIVE);
        w.opaqueFixed(how);
      } else {
        w.u32(how === "guarded" ? P.GUARDED : P.UNCHECKED);
        sattr3(w, attrs);
      }
    });
    return this.newObject(r);
  }

  async mkdir(dir: Buffer, name: string) {
    return this.newObject(await this.call(P.NFSPROC3_MKDIR, (w) => (diropargs(w, dir, name), sattr3(w, { mode: 0o755 }))));
  }

  async symlink(dir: Buffer, name: string, target: string) {
    return this.newObject(
      await this.call(P.NFSPROC3_SYMLINK, (w) => {
        diropargs(w, dir, name);
        sattr3(w);
        w.string(target);
      }),
    );
  }

  async mknod(dir: Buffer, name: string, type: number, spec: [number, number] = [0, 0]) {
    return this.newObject(
      await this.call(P.NFSPROC3_MKNOD, (w) => {
        diropargs(w, dir, name);
        w.u32(type);
        if (type === P.NF3CHR || type === P.NF3BLK) {
          sattr3(w, { mode: 0o600 });
          w.u32(spec[0]).u32(spec[1]);
        } else if (type === P.NF3SOCK || type === P.NF3FIFO) {
          sattr3(w, { mode: 0o600 });
        }
      }),
    );
  }

  async write(file: Buffer, offset: number, data: Buffer, stable = P.UNSTABLE, count = data.length) {
    const r = await this.call(P.NFSPROC3_WRITE, (w) => {
      w.opaqueVar(file);
      w.u64(offset);
      w.u32(count);
      w.u32(stable);
      w.opaqueVar(data);
    });
    const status = r.u32();
    const wcc = wccData(r);
    if (status !== P.NFS3_OK) return { status, wcc };
    return { status, wcc, count: r.u32(), committed: r.u32(), verf: Buffer.from(r.opaqueFixed(8)) };
  }

  async read(file: Buffer, offset: number | bigint, count: number) {
    const r = await this.call(P.NFSPROC3_READ, (w) => (w.opaqueVar(file), w.u64(offset), w.u32(count)));
    const status = r.u32();
    const attr = postOpAttr(r);
    if (status !== P.NFS3_OK) return { status, attr };
    const n = r.u32();
    const eof = r.bool();
    const data = Buffer.from(r.opaqueVar(count));
    expect(data.length).toBe(n);
    return { status, attr, eof, data };
  }

  async commit(file: Buffer) {
    const r = await this.call(P.NFSPROC3_COMMIT, (w) => (w.opaqueVar(file), w.u64(0), w.u32(0)));
    const status = r.u32();
    const wcc = wccData(r);
    return status === P.NFS3_OK ? { status, wcc, verf: Buffer.from(r.opaqueFixed(8)) } : { status, wcc };
  }

  async setattr(file: Buffer, attrs: { mode?: number; size?: number }, guard: [number, number] | null = null) {
    const r = await this.call(P.NFSPROC3_SETATTR, (w) => {
      w.opaqueVar(file);
      sattr3(w, attrs);
      w.optional(guard, (o, g) => o.u32(g[0]).u32(g[1]));
    });
    return { status: r.u32(), wcc: wccData(r) };
  }

  async remove(dir: Buffer, name: string, proc = P.NFSPROC3_REMOVE) {
    const r = await this.call(proc, (w) => diropargs(w, dir, name));
    return { status: r.u32(), dirWcc: wccData(r) };
  }

  async rename(fromDir: Buffer, from: string, toDir: Buffer, to: string) {
    const r = await this.call(P.NFSPROC3_RENAME, (w) => (diropargs(w, fromDir, from), diropargs(w, toDir, to)));
    return { status: r.u32(), fromWcc: wccData(r), toWcc: wccData(r) };
  }

  async link(file: Buffer, dir: Buffer, name: string) {
    const r = await this.call(P.NFSPROC3_LINK, (w) => (w.opaqueVar(file), diropargs(w, dir, name)));
    return { status: r.u32(), attr: postOpAttr(r), dirWcc: wccData(r) };
  }

  async readlink(link: Buffer) {
    const r = await this.call(P.NFSPROC3_READLINK, (w) => w.opaqueVar(link));
    const status = r.u32();
    const attr = postOpAttr(r);
    return status === P.NFS3_OK ? { status, attr, target: r.string(4096) } : { status, attr };
  }

  async readdir(dir: Buffer, cookie: number, count: number, verf: Buffer = Buffer.alloc(8)) {
    const r = await this.call(P.NFSPROC3_READDIR, (w) => {
      w.opaqueVar(dir);
      w.u64(cookie);
      w.opaqueFixed(verf);
      w.u32(count);
    });
    const start = r.offset;
    const status = r.u32();
    const dirAttr = postOpAttr(r);
    if (status !== P.NFS3_OK) return { status, dirAttr, entries: [], eof: false, bytes: 0 };
    r.opaqueFixed(8);
    const entries: { fileid: number; name: string; cookie: number }[] = [];
    while (r.bool()) entries.push({ fileid: r.u64(), name: r.string(255), cookie: r.u64() });
    const eof = r.bool();
    // The whole READDIR3res, status included, as the reply spent it against `count`.
    return { status, dirAttr, entries, eof, bytes: r.offset - start };
  }

  async readdirplus(dir: Buffer, cookie: number, dircount: number, maxcount: number, verf: Buffer = Buffer.alloc(8)) {
    const r = await this.call(P.NFSPROC3_READDIRPLUS, (w) => {
      w.opaqueVar(dir);
      w.u64(cookie);
      w.opaqueFixed(verf);
      w.u32(dircount);
      w.u32(maxcount);
    });
    const start = r.offset;
    const status = r.u32();
    const dirAttr = postOpAttr(r);
    if (status !== P.NFS3_OK) return { status, dirAttr, entries: [], eof: false, bytes: 0 };
    r.opaqueFixed(8);
    const entries: { fileid: number; name: string; cookie: number; attr: Attr | null; fh: Buffer | null }[] = [];
    while (r.bool()) {
      entries.push({ fileid: r.u64(), name: r.string(255), cookie: r.u64(), attr: postOpAttr(r), fh: r.bool() ? fh(r) : null });
    }
    const eof = r.bool();
    return { status, dirAttr, entries, eof, bytes: r.offset - start };
  }
}

/** The real memory store, counting the syncs the server asks of it. */
class SyncCountingStore extends MemoryMetadataStore {
  syncs = 0;
  override async sync(): Promise<void> {
    await super.sync();
    this.syncs++;
  }
}

/** The RPC reply header of a call whose argument bytes are given raw. */
async function rawCall(client: Client, prog: number, proc: number, args: Buffer) {
  return (await client.rpc.call({ prog, vers: 3, proc, sys: ROOT, args })).reply;
}

describe("NFSv3 and MOUNT v3 procedures", () => {
  let registry: Registry;
  let adapter: NfsAdapter;
  let contentStore: MemoryContentStore;
  let metadataStore: SyncCountingStore;
  let c: Client;
  let root: Buffer;
  let nextName = 0;
  const unique = (prefix: string) => `${prefix}-${nextName++}`;

  beforeAll(async () => {
    contentStore = new MemoryContentStore();
    metadataStore = new SyncCountingStore();
    registry = await Registry.create({
      logger: silentLogger,
      stores: { metadata: new Map([["meta", metadataStore]]), content: new Map([["content", contentStore]]) },
      shares: [
        shareConfig("/export"),
        shareConfig("/private", { allowedClients: ["10.0.0.0/8"] }),
        shareConfig("/ro", { readOnly: true, allowedClients: ["0.0.0.0/0", "::/0"] }),
      ],
      maxDirtyBytes: 16 * 1024 * 1024,
    });
    adapter = new NfsAdapter({ logger: silentLogger, bind: "127.0.0.1", port: 0, mountPort: null, maxRecordBytes: 2 * 1024 * 1024 });
    adapter.setRegistry(registry);
    await adapter.serve();
    c = await Client.connect(adapter.port());
    const mounted = await c.mnt("/export");
    root = mounted.fh!;
  });

  afterAll(async () => {
    await c?.rpc.close();
    await adapter?.stop(1000);
    await registry?.close();
  });

  async function newFile(content = "", dir = root): Promise<Buffer> {
    const made = await c.create(dir, unique("f"));
    expect(made.status).toBe(P.NFS3_OK);
    if (content) expect((await c.write(made.fh!, 0, Buffer.from(content), P.FILE_SYNC)).status).toBe(P.NFS3_OK);
    return made.fh!;
  }

  describe("MOUNT", () => {
    it("MNT answers the root handle and AUTH_UNIX before AUTH_NONE", async () => {
      const m = await c.mnt("/export/");
      expect(m.status).toBe(M.MNT3_OK);
      expect(m.fh).toEqual(root);
      expect(m.flavors).toEqual([1, 0]);
      const attr = (await c.getattr(m.fh!)).attr!;
      expect(attr.type).toBe(P.NF3DIR);
    });

    it("MNT mounts a directory inside a share, and refuses files, missing names and dot segments", async () => {
      const dir = (await c.mkdir(root, "mnt-sub")).fh!;
      await c.create(dir, "file.txt");
      const m = await c.mnt("/export/mnt-sub/");
      expect(m.status).toBe(M.MNT3_OK);
      expect(m.fh).toEqual(dir);
      expect((await c.mnt("/export/mnt-sub/file.txt")).status).toBe(M.MNT3ERR_NOTDIR);
      expect((await c.mnt("/export/mnt-sub/missing")).status).toBe(M.MNT3ERR_NOENT);
      expect((await c.mnt("/export/mnt-sub/../mnt-sub")).status).toBe(M.MNT3ERR_NOENT);
      expect((await c.mnt("/exportx")).status).toBe(M.MNT3ERR_NOENT);
    });

    it("MNT refuses unknown paths, clients a share does not admit, and over-long paths", async () => {
      expect((await c.mnt("/nope")).status).toBe(M.MNT3ERR_NOENT);
      expect((await c.mnt(Buffer.from([0x2f, 0xff]))).status).toBe(M.MNT3ERR_NOENT);
      expect((await c.mnt("/private")).status).toBe(M.MNT3ERR_ACCES);
      expect((await c.mnt("/" + "x".repeat(M.MNTPATHLEN))).status).toBe(M.MNT3ERR_NAMETOOLONG);
    });

    it("DUMP lists mounts until UMNT and UMNTALL remove them", async () => {
      const dump = async () => {
        const r = await c.call(M.MOUNTPROC3_DUMP, () => {}, M.MOUNT_PROGRAM);
        const list: string[] = [];
        while (r.bool()) list.push(`${r.string(255)} ${r.string(1024)}`);
        return list;
      };
      await c.mnt("/ro");
      expect(await dump()).toEqual(expect.arrayContaining(["127.0.0.1 /export", "127.0.0.1 /ro"]));
      await c.call(M.MOUNTPROC3_UMNT, (w) => w.string("/ro"), M.MOUNT_PROGRAM);
      expect(await dump()).not.toContain("127.0.0.1 /ro");
      expect(await dump()).toContain("127.0.0.1 /export");
      await c.call(M.MOUNTPROC3_UMNTALL, () => {}, M.MOUNT_PROGRAM);
      expect(await dump()).toEqual([]);
    });

    it("EXPORT lists every share with its allowed clients, none for an open share", async () => {
      const r = await c.call(M.MOUNTPROC3_EXPORT, () => {}, M.MOUNT_PROGRAM);
      const exports: Record<string, string[]> = {};
      while (r.bool()) {
        const dir = r.string(1024);
        const groups: string[] = [];
        while (r.bool()) groups.push(r.string(255));
        exports[dir] = groups;
      }
      expect(exports).toEqual({ "/export": ["127.0.0.1", "::1"], "/private": ["10.0.0.0/8"], "/ro": [] });
    });

    it("NULL answers both programs", async () => {
      expect((await c.call(M.MOUNTPROC3_NULL, () => {}, M.MOUNT_PROGRAM)).remaining).toBe(0);
      expect((await c.call(P.NFSPROC3_NULL)).remaining).toBe(0);
    });
  });

  describe("file handles", () => {
    it("empty, oversized and malformed handles are NFS3ERR_BADHANDLE", async () => {
      expect((await c.getattr(Buffer.alloc(0))).status).toBe(P.NFS3ERR_BADHANDLE);
      expect((await c.getattr(Buffer.alloc(65, 1))).status).toBe(P.NFS3ERR_BADHANDLE);
      const wrongVersion = Buffer.from(root);
      wrongVersion[0] = 99;
      expect((await c.getattr(wrongVersion)).status).toBe(P.NFS3ERR_BADHANDLE);
    });

    it("a forged handle of an unknown share is NFS3ERR_STALE", async () => {
      const forged = Buffer.from(root);
      forged.writeUInt32BE((forged.readUInt32BE(1) + 1) >>> 0, 1);
      expect((await c.getattr(forged)).status).toBe(P.NFS3ERR_STALE);
    });

    it("the handle of a removed file is NFS3ERR_STALE", async () => {
      const made = await c.create(root, "doomed");
      expect((await c.remove(root, "doomed")).status).toBe(P.NFS3_OK);
      expect((await c.getattr(made.fh!)).status).toBe(P.NFS3ERR_STALE);
      expect((await c.read(made.fh!, 0, 10)).status).toBe(P.NFS3ERR_STALE);
    });

    it("a handle of a share the client may not use is NFS3ERR_ACCES", async () => {
      const share = registry.share("/private")!;
      const privateRoot = registry.handleFor(share, (await registry.metadata.root("/private")).id);
      expect((await c.getattr(privateRoot)).status).toBe(P.NFS3ERR_ACCES);
    });

    it("truncated or malformed arguments are GARBAGE_ARGS and the connection stays usable", async () => {
      // A handle announced as 8 bytes with only 4 present.
      const cut = Buffer.from([0, 0, 0, 8, 1, 2, 3, 4]);
      expect(await rawCall(c, P.NFS_PROGRAM, P.NFSPROC3_GETATTR, cut)).toMatchObject({ acceptStat: GARBAGE_ARGS });
      const handleOnly = new XdrWriter().opaqueVar(root).toBuffer();
      expect(await rawCall(c, P.NFS_PROGRAM, P.NFSPROC3_LOOKUP, handleOnly)).toMatchObject({ acceptStat: GARBAGE_ARGS });
      const badStable = new XdrWriter().opaqueVar(root).u64(0).u32(1).u32(7).opaqueVar(Buffer.from("x")).toBuffer();
      expect(await rawCall(c, P.NFS_PROGRAM, P.NFSPROC3_WRITE, badStable)).toMatchObject({ acceptStat: GARBAGE_ARGS });
      const badSetIt = new XdrWriter().opaqueVar(root).u32(2).toBuffer();
      expect(await rawCall(c, P.NFS_PROGRAM, P.NFSPROC3_SETATTR, badSetIt)).toMatchObject({ acceptStat: GARBAGE_ARGS });
      expect(await rawCall(c, M.MOUNT_PROGRAM, M.MOUNTPROC3_MNT, Buffer.from([0, 0, 0, 9, 0x2f, 0x65, 0x78, 0x70]))).toMatchObject({
        acceptStat: GARBAGE_ARGS,
      });
      expect((await c.getattr(root)).status).toBe(P.NFS3_OK);
    });
  });

  describe("GETATTR, LOOKUP and names", () => {
    it("fattr3 carries the share id as fsid, the inode as fileid, and used in 4 KiB blocks", async () => {
      const file = await newFile("x".repeat(5000));
      const attr = (await c.getattr(file)).attr!;
      expect(attr).toMatchObject({ type: P.NF3REG, nlink: 1, uid: 0, gid: 0, size: 5000, used: 8192, rdev: [0, 0] });
      expect(attr.fsid).toBe(registry.share("/export")!.id);
      const byId = await registry.metadata.getAttr("/export", registry.resolveHandle(file).fileId);
      expect(attr.fileid).toBe(byId.ino);
      expect(attr.mtime).toEqual([byId.mtime.sec, byId.mtime.nsec]);
    });

    it("LOOKUP finds a name and its attributes, with the directory's", async () => {
      const made = await c.create(root, "found.txt");
      const found = await c.lookup(root, "found.txt");
      expect(found.status).toBe(P.NFS3_OK);
      expect(found.fh).toEqual(made.fh);
      expect(found.attr!.fileid).toBe(made.attr!.fileid);
      expect(found.dirAttr!.type).toBe(P.NF3DIR);
      const dotdot = await c.lookup(root, "..");
      expect(dotdot.fh).toEqual(root);
    });

    it("LOOKUP answers bad names with the right status and the directory's attributes", async () => {
      const cases: Array<[string | Buffer, number]> = [
        ["missing", P.NFS3ERR_NOENT],
        ["", P.NFS3ERR_NOENT],
        ["a/b", P.NFS3ERR_INVAL],
        [Buffer.from([0x61, 0x00]), P.NFS3ERR_INVAL],
        [Buffer.from([0x66, 0xff]), P.NFS3ERR_INVAL],
        ["x".repeat(256), P.NFS3ERR_NAMETOOLONG],
      ];
      for (const [name, status] of cases) {
        const result = await c.lookup(root, name);
        expect(result.status, String(name)).toBe(status);
        expect(result.dirAttr?.type).toBe(P.NF3DIR);
      }
    });

    it("LOOKUP in a file is NFS3ERR_NOTDIR", async () => {
      expect((await c.lookup(await newFile(), "x")).status).toBe(P.NFS3ERR_NOTDIR);
    });
  });

  describe("CREATE, WRITE, READ, COMMIT, SETATTR", () => {
    it("CREATE GUARDED makes a file once, then answers NFS3ERR_EXIST with the directory's wcc", async () => {
      const name = unique("guarded");
      const made = await c.create(root, name, "guarded", { mode: 0o640 });
      expect(made.status).toBe(P.NFS3_OK);
      expect(made.attr).toMatchObject({ type: P.NF3REG, mode: 0o640, size: 0 });
      expect(made.dirWcc.before).not.toBeNull();
      expect(made.dirWcc.after!.type).toBe(P.NF3DIR);
      const again = await c.create(root, name, "guarded");
      expect(again.status).toBe(P.NFS3ERR_EXIST);
      expect(again.dirWcc.after!.type).toBe(P.NF3DIR);
      expect((await c.create(root, ".")).status).toBe(P.NFS3ERR_EXIST);
    });

    it("CREATE UNCHECKED of an existing file with size 0 truncates its content", async () => {
      const name = unique("unchecked");
      const made = await c.create(root, name);
      await c.write(made.fh!, 0, Buffer.from("old content"), P.FILE_SYNC);
      const again = await c.create(root, name, "unchecked", { size: 0 });
      expect(again.status).toBe(P.NFS3_OK);
      expect(again.fh).toEqual(made.fh);
      expect(again.attr!.size).toBe(0);
      await c.write(made.fh!, 0, Buffer.from("new"), P.FILE_SYNC);
      await c.setattr(made.fh!, { size: 8 });
      expect((await c.read(made.fh!, 0, 100)).data).toEqual(Buffer.from("new\0\0\0\0\0"));
    });

    it("CREATE EXCLUSIVE is idempotent for the same verifier and EXIST for another", async () => {
      const name = unique("exclusive");
      const verf = randomBytes(8);
      const first = await c.create(root, name, verf);
      expect(first.status).toBe(P.NFS3_OK);
      const retransmitted = await c.create(root, name, verf);
      expect(retransmitted.status).toBe(P.NFS3_OK);
      expect(retransmitted.fh).toEqual(first.fh);
      expect((await c.create(root, name, randomBytes(8))).status).toBe(P.NFS3ERR_EXIST);
    });

    it("WRITE replies count, committed as asked, the write verifier, and the file's wcc", async () => {
      const file = await newFile();
      const unstable = await c.write(file, 0, Buffer.from("hello "), P.UNSTABLE);
      expect(unstable).toMatchObject({ status: P.NFS3_OK, count: 6, committed: P.UNSTABLE });
      expect(unstable.wcc.before!.size).toBe(0);
      expect(unstable.wcc.after!.size).toBe(6);
      const sync = await c.write(file, 6, Buffer.from("world"), P.FILE_SYNC);
      expect(sync).toMatchObject({ status: P.NFS3_OK, count: 5, committed: P.FILE_SYNC });
      const dataSync = await c.write(file, 11, Buffer.from("!"), P.DATA_SYNC);
      expect(dataSync.committed).toBe(P.DATA_SYNC);
      expect(sync.verf).toEqual(unstable.verf);
      const committed = await c.commit(file);
      expect(committed.status).toBe(P.NFS3_OK);
      expect(committed.verf).toEqual(unstable.verf);
      expect(committed.wcc.after!.size).toBe(12);
      expect((await c.read(file, 0, 100)).data!.toString()).toBe("hello world!");
    });

    it("COMMIT and stable WRITEs make the metadata durable too; UNSTABLE WRITEs do not wait for it", async () => {
      const file = await newFile();
      const syncs = metadataStore.syncs;
      await c.write(file, 0, Buffer.from("unstable"), P.UNSTABLE);
      expect(metadataStore.syncs).toBe(syncs);
      await c.commit(file);
      expect(metadataStore.syncs).toBe(syncs + 1);
      await c.write(file, 8, Buffer.from("file sync"), P.FILE_SYNC);
      await c.write(file, 17, Buffer.from("data sync"), P.DATA_SYNC);
      expect(metadataStore.syncs).toBe(syncs + 3);
    });

    it("WRITE refuses a count that does not match the data, and offsets past 2^53 - 1", async () => {
      const file = await newFile();
      const mismatch = await c.write(file, 0, Buffer.from("abc"), P.UNSTABLE, 5);
      expect(mismatch.status).toBe(P.NFS3ERR_INVAL);
      expect(mismatch.wcc.after!.size).toBe(0);
      expect((await c.write(file, Number.MAX_SAFE_INTEGER - 1, Buffer.from("ab"))).status).toBe(P.NFS3ERR_FBIG);
      const huge = new XdrWriter().opaqueVar(file).u64(2n ** 63n).u32(1).u32(0).opaqueVar(Buffer.from("z")).toBuffer();
      const reply = await c.rpc.call({ prog: P.NFS_PROGRAM, vers: 3, proc: P.NFSPROC3_WRITE, sys: ROOT, args: huge });
      expect(reply.results.u32()).toBe(P.NFS3ERR_FBIG);
    });

    it("WRITE to a directory is NFS3ERR_ISDIR", async () => {
      expect((await c.write(root, 0, Buffer.from("x"))).status).toBe(P.NFS3ERR_ISDIR);
    });

    it("READ clamps to the file size, flags eof, and answers past-the-end reads with no data", async () => {
      const file = await newFile("0123456789");
      const whole = await c.read(file, 0, 1000);
      expect(whole).toMatchObject({ status: P.NFS3_OK, eof: true });
      expect(whole.data!.toString()).toBe("0123456789");
      expect(whole.attr!.size).toBe(10);
      const middle = await c.read(file, 3, 4);
      expect(middle.data!.toString()).toBe("3456");
      expect(middle.eof).toBe(false);
      const tail = await c.read(file, 6, 4);
      expect(tail.eof).toBe(true);
      expect((await c.read(file, 10, 5)).data!.length).toBe(0);
      expect((await c.read(file, 10, 5)).eof).toBe(true);
      const far = await c.read(file, 2n ** 62n, 5);
      expect(far).toMatchObject({ status: P.NFS3_OK, eof: true });
      expect(far.data!.length).toBe(0);
    });

    it("READ of a large file is served in pieces of at most rtmax, through the zero-copy path", async () => {
      const file = await newFile();
      const payload = randomBytes(1536 * 1024);
      for (let off = 0; off < payload.length; off += 512 * 1024) {
        expect((await c.write(file, off, payload.subarray(off, off + 512 * 1024), P.UNSTABLE)).status).toBe(P.NFS3_OK);
      }
      const first = await c.read(file, 0, 4 * 1024 * 1024);
      expect(first.data!.length).toBe(1024 * 1024);
      expect(first.eof).toBe(false);
      const rest = await c.read(file, 1024 * 1024, 1024 * 1024);
      expect(rest.eof).toBe(true);
      expect(Buffer.concat([first.data!, rest.data!]).equals(payload)).toBe(true);
    });

    it("READ of a directory is NFS3ERR_ISDIR with the directory's attributes", async () => {
      const result = await c.read(root, 0, 10);
      expect(result.status).toBe(P.NFS3ERR_ISDIR);
      expect(result.attr!.type).toBe(P.NF3DIR);
    });

    it("SETATTR changes size and mode, and a stale ctime guard is NFS3ERR_NOT_SYNC", async () => {
      const file = await newFile("abcdefgh");
      const before = (await c.getattr(file)).attr!;
      const wrongGuard = await c.setattr(file, { size: 2 }, [before.ctime[0] - 1, before.ctime[1]]);
      expect(wrongGuard.status).toBe(P.NFS3ERR_NOT_SYNC);
      expect(wrongGuard.wcc.after!.size).toBe(8);
      const guarded = await c.setattr(file, { size: 4, mode: 0o600 }, before.ctime);
      expect(guarded.status).toBe(P.NFS3_OK);
      expect(guarded.wcc.before!.size).toBe(8);
      expect(guarded.wcc.after).toMatchObject({ size: 4, mode: 0o600 });
      expect((await c.read(file, 0, 100)).data!.toString()).toBe("abcd");
      expect((await c.setattr(file, { size: 2 ** 53 })).status).toBe(P.NFS3ERR_FBIG);
    });
  });

  describe("namespace procedures", () => {
    it("MKDIR, then RMDIR refuses a non-empty directory and removes an empty one", async () => {
      const name = unique("dir");
      const dir = await c.mkdir(root, name);
      expect(dir.attr).toMatchObject({ type: P.NF3DIR, mode: 0o755, nlink: 2 });
      await c.create(dir.fh!, "inside");
      expect((await c.remove(root, name, P.NFSPROC3_RMDIR)).status).toBe(P.NFS3ERR_NOTEMPTY);
      expect((await c.remove(dir.fh!, "inside")).status).toBe(P.NFS3_OK);
      const removed = await c.remove(root, name, P.NFSPROC3_RMDIR);
      expect(removed.status).toBe(P.NFS3_OK);
      expect(removed.dirWcc.before).not.toBeNull();
      expect(removed.dirWcc.after!.type).toBe(P.NF3DIR);
      expect((await c.remove(root, ".", P.NFSPROC3_RMDIR)).status).toBe(P.NFS3ERR_INVAL);
    });

    it("SYMLINK stores the target READLINK returns; READLINK of a file is NFS3ERR_INVAL", async () => {
      const link = await c.symlink(root, unique("link"), "../some/where");
      expect(link.status).toBe(P.NFS3_OK);
      expect(link.attr).toMatchObject({ type: P.NF3LNK, size: 13 });
      const read = await c.readlink(link.fh!);
      expect(read).toMatchObject({ status: P.NFS3_OK, target: "../some/where" });
      const notLink = await c.readlink(await newFile());
      expect(notLink.status).toBe(P.NFS3ERR_INVAL);
      expect(notLink.attr!.type).toBe(P.NF3REG);
    });

    it("MKNOD makes FIFOs, sockets and devices, and answers other types with NFS3ERR_BADTYPE", async () => {
      expect((await c.mknod(root, unique("fifo"), P.NF3FIFO)).attr!.type).toBe(P.NF3FIFO);
      expect((await c.mknod(root, unique("sock"), P.NF3SOCK)).attr!.type).toBe(P.NF3SOCK);
      const dev = await c.mknod(root, unique("chr"), P.NF3CHR, [1, 3]);
      expect(dev.attr).toMatchObject({ type: P.NF3CHR, rdev: [1, 3] });
      expect((await c.mknod(root, unique("reg"), P.NF3REG)).status).toBe(P.NFS3ERR_BADTYPE);
      expect((await c.mknod(root, unique("bogus"), 42)).status).toBe(P.NFS3ERR_BADTYPE);
    });

    it("LINK adds a name; the content goes only with the last name", async () => {
      const name = unique("linked");
      const made = await c.create(root, name);
      await c.write(made.fh!, 0, randomBytes(64 * 1024), P.FILE_SYNC);
      const linked = await c.link(made.fh!, root, `${name}-2`);
      expect(linked.status).toBe(P.NFS3_OK);
      expect(linked.attr!.nlink).toBe(2);
      expect(linked.dirWcc.after!.type).toBe(P.NF3DIR);
      const used = (await contentStore.space()).used;
      expect((await c.remove(root, name)).status).toBe(P.NFS3_OK);
      expect((await c.read(made.fh!, 0, 10)).data!.length).toBe(10);
      expect((await contentStore.space()).used).toBe(used);
      expect((await c.remove(root, `${name}-2`)).status).toBe(P.NFS3_OK);
      expect((await contentStore.space()).used).toBeLessThan(used);
    });

    it("RENAME moves a name and deletes the content of the file it replaces", async () => {
      const a = unique("a");
      const b = unique("b");
      const fileA = (await c.create(root, a)).fh!;
      await c.write(fileA, 0, Buffer.from("from a"), P.FILE_SYNC);
      const fileB = (await c.create(root, b)).fh!;
      await c.write(fileB, 0, randomBytes(64 * 1024), P.FILE_SYNC);
      const used = (await contentStore.space()).used;
      const renamed = await c.rename(root, a, root, b);
      expect(renamed.status).toBe(P.NFS3_OK);
      expect(renamed.fromWcc.after!.type).toBe(P.NF3DIR);
      expect(renamed.toWcc.after!.type).toBe(P.NF3DIR);
      expect((await contentStore.space()).used).toBeLessThan(used);
      const found = await c.lookup(root, b);
      expect(found.fh).toEqual(fileA);
      expect((await c.lookup(root, a)).status).toBe(P.NFS3ERR_NOENT);
      expect((await c.getattr(fileB)).status).toBe(P.NFS3ERR_STALE);
    });

    it("RENAME and LINK across shares are NFS3ERR_XDEV", async () => {
      const roRoot = (await c.mnt("/ro")).fh!;
      const file = await newFile();
      const renamed = await c.rename(root, "x", roRoot, "y");
      expect(renamed.status).toBe(P.NFS3ERR_XDEV);
      expect(renamed.fromWcc.after!.type).toBe(P.NF3DIR);
      expect((await c.link(file, roRoot, "y")).status).toBe(P.NFS3ERR_XDEV);
    });

    it("changes on a read-only share are NFS3ERR_ROFS", async () => {
      const roRoot = (await c.mnt("/ro")).fh!;
      expect((await c.create(roRoot, "new")).status).toBe(P.NFS3ERR_ROFS);
      expect((await c.mkdir(roRoot, "new")).status).toBe(P.NFS3ERR_ROFS);
      expect((await c.write(roRoot, 0, Buffer.from("x"))).status).toBe(P.NFS3ERR_ROFS);
      expect((await c.setattr(roRoot, { mode: 0o777 })).status).toBe(P.NFS3ERR_ROFS);
      expect((await c.remove(roRoot, "x")).status).toBe(P.NFS3ERR_ROFS);
      expect((await c.getattr(roRoot)).status).toBe(P.NFS3_OK);
    });
  });

  describe("READDIR and READDIRPLUS", () => {
    async function dirWith(names: string[]): Promise<Buffer> {
      const dir = (await c.mkdir(root, unique("listing"))).fh!;
      for (const name of names) expect((await c.create(dir, name)).status).toBe(P.NFS3_OK);
      return dir;
    }

    async function listAll(dir: Buffer, count: number, verf?: Buffer): Promise<string[]> {
      const names: string[] = [];
      let cookie = 0;
      for (let calls = 0; calls < 1000; calls++) {
        const page = await c.readdir(dir, cookie, count, verf);
        expect(page.status).toBe(P.NFS3_OK);
        expect(page.bytes).toBeLessThanOrEqual(count);
        names.push(...page.entries.map((e) => e.name));
        if (page.eof) return names;
        expect(page.entries.length).toBeGreaterThan(0);
        cookie = page.entries[page.entries.length - 1]!.cookie;
      }
      throw new Error("listing never ended");
    }

    it("lists '.' and '..' first with cookies 1 and 2, then the entries, then eof", async () => {
      const dir = await dirWith(["one", "two"]);
      const page = await c.readdir(dir, 0, 8192);
      expect(page.status).toBe(P.NFS3_OK);
      expect(page.entries.map((e) => [e.name, e.cookie])).toEqual([
        [".", 1],
        ["..", 2],
        ["one", 3],
        ["two", 4],
      ]);
      expect(page.entries[0]!.fileid).toBe(page.dirAttr!.fileid);
      expect(page.entries[1]!.fileid).toBe((await c.getattr(root)).attr!.fileid);
      expect(page.eof).toBe(true);
      const after = await c.readdir(dir, 2, 8192);
      expect(after.entries.map((e) => e.name)).toEqual(["one", "two"]);
    });

    it("pages through a large directory within `count`, every name once, whatever the cookie verifier", async () => {
      const names = Array.from({ length: 150 }, (_, i) => `entry-${i}-${"n".repeat(i % 40)}`);
      const dir = await dirWith(names);
      const listed = await listAll(dir, 1024, randomBytes(8));
      expect(listed.slice(0, 2)).toEqual([".", ".."]);
      expect(listed.slice(2).sort()).toEqual([...names].sort());
    });

    it("entries added or removed mid-listing never repeat or loop", async () => {
      const names = Array.from({ length: 40 }, (_, i) => `m${i}`);
      const dir = await dirWith(names);
      const first = await c.readdir(dir, 0, 400);
      expect(first.eof).toBe(false);
      const seen = first.entries.map((e) => e.name);
      const unseen = names.filter((n) => !seen.includes(n));
      await c.remove(dir, unseen[0]!);
      await c.remove(dir, seen[seen.length - 1]!);
      await c.create(dir, "late-arrival");
      let cookie = first.entries[first.entries.length - 1]!.cookie;
      const rest: string[] = [];
      for (;;) {
        const page = await c.readdir(dir, cookie, 400, randomBytes(8));
        expect(page.status).toBe(P.NFS3_OK);
        rest.push(...page.entries.map((e) => e.name));
        if (page.eof) break;
        cookie = page.entries[page.entries.length - 1]!.cookie;
      }
      expect(rest.filter((n) => seen.includes(n))).toEqual([]);
      expect(rest).not.toContain(unseen[0]);
      expect(rest).toContain("late-arrival");
      expect(new Set(rest).size).toBe(rest.length);
    });

    it("a count too small for one entry is NFS3ERR_TOOSMALL; a bogus huge cookie is an empty eof listing", async () => {
      const dir = await dirWith(["a"]);
      const small = await c.readdir(dir, 0, 100);
      expect(small.status).toBe(P.NFS3ERR_TOOSMALL);
      expect(small.dirAttr!.type).toBe(P.NF3DIR);
      const beyond = await c.readdir(dir, 2 ** 40, 4096);
      expect(beyond).toMatchObject({ status: P.NFS3_OK, entries: [], eof: true });
      expect((await c.readdir(await newFile(), 0, 4096)).status).toBe(P.NFS3ERR_NOTDIR);
    });

    it("READDIRPLUS returns attributes and handles for every entry, '.' and '..' included", async () => {
      const dir = await dirWith(["p1", "p2"]);
      const page = await c.readdirplus(dir, 0, 4096, 32768);
      expect(page.status).toBe(P.NFS3_OK);
      expect(page.eof).toBe(true);
      expect(page.entries.map((e) => e.name)).toEqual([".", "..", "p1", "p2"]);
      expect(page.entries[0]!.fh).toEqual(dir);
      expect(page.entries[1]!.fh).toEqual(root);
      for (const entry of page.entries) {
        expect(entry.attr!.fileid).toBe(entry.fileid);
        expect((await c.getattr(entry.fh!)).attr!.fileid).toBe(entry.fileid);
      }
    });

    it("READDIRPLUS stays within maxcount and dircount and still makes progress", async () => {
      const names = Array.from({ length: 60 }, (_, i) => `plus-${i}`);
      const dir = await dirWith(names);
      const listed: string[] = [];
      let cookie = 0;
      for (let calls = 0; ; calls++) {
        expect(calls).toBeLessThan(200);
        const page = await c.readdirplus(dir, cookie, 64, 2048, randomBytes(8));
        expect(page.status).toBe(P.NFS3_OK);
        expect(page.bytes).toBeLessThanOrEqual(2048);
        listed.push(...page.entries.map((e) => e.name));
        if (page.eof) break;
        cookie = page.entries[page.entries.length - 1]!.cookie;
      }
      expect(listed.slice(2).sort()).toEqual([...names].sort());
      expect((await c.readdirplus(dir, 0, 4096, 150)).status).toBe(P.NFS3ERR_TOOSMALL);
    });
  });

  describe("file system information", () => {
    it("FSINFO advertises 1 MiB transfers, 2^53 - 1 bytes per file and nanosecond times", async () => {
      const r = await c.call(P.NFSPROC3_FSINFO, (w) => w.opaqueVar(root));
      expect(r.u32()).toBe(P.NFS3_OK);
      expect(postOpAttr(r)!.type).toBe(P.NF3DIR);
      const fields = {
        rtmax: r.u32(),
        rtpref: r.u32(),
        rtmult: r.u32(),
        wtmax: r.u32(),
        wtpref: r.u32(),
        wtmult: r.u32(),
        dtpref: r.u32(),
        maxfilesize: r.u64big(),
        timeDelta: time(r),
        properties: r.u32(),
      };
      expect(fields).toEqual({
        rtmax: 1048576,
        rtpref: 1048576,
        rtmult: 4096,
        wtmax: 1048576,
        wtpref: 1048576,
        wtmult: 4096,
        dtpref: 65536,
        maxfilesize: 2n ** 53n - 1n,
        timeDelta: [0, 1],
        properties: 0x1b,
      });
      expect(r.remaining).toBe(0);
    });

    it("PATHCONF answers POSIX limits", async () => {
      const r = await c.call(P.NFSPROC3_PATHCONF, (w) => w.opaqueVar(root));
      expect(r.u32()).toBe(P.NFS3_OK);
      postOpAttr(r);
      expect([r.u32(), r.u32(), r.bool(), r.bool(), r.bool(), r.bool()]).toEqual([65535, 255, true, true, false, true]);
      expect(r.remaining).toBe(0);
    });

    it("FSSTAT reports space from the content store and files from the metadata store", async () => {
      const r = await c.call(P.NFSPROC3_FSSTAT, (w) => w.opaqueVar(root));
      expect(r.u32()).toBe(P.NFS3_OK);
      expect(postOpAttr(r)).not.toBeNull();
      const [tbytes, fbytes, abytes, tfiles, ffiles, afiles] = [r.u64(), r.u64(), r.u64(), r.u64(), r.u64(), r.u64()];
      const invarsec = r.u32();
      const used = (await contentStore.space()).used;
      expect(tbytes).toBe(used + fbytes);
      expect(abytes).toBe(fbytes);
      expect(fbytes).toBeGreaterThan(1e12);
      expect(tfiles).toBeGreaterThan(ffiles);
      expect(afiles).toBe(ffiles);
      expect(invarsec).toBe(0);
    });

    it("ACCESS grants what the caller holds; AUTH_NONE acts as the anonymous user", async () => {
      const file = await newFile("secret");
      await c.setattr(file, { mode: 0o600 });
      const ask = async (client: Client) => {
        const r = await client.call(P.NFSPROC3_ACCESS, (w) => w.opaqueVar(file).u32(0x3f));
        expect(r.u32()).toBe(P.NFS3_OK);
        expect(postOpAttr(r)!.mode).toBe(0o600);
        return r.u32();
      };
      expect(await ask(c)).toBe(P.ACCESS3_READ | P.ACCESS3_MODIFY | P.ACCESS3_EXTEND);
      const anonymous = await Client.connect(adapter.port(), null);
      try {
        expect(await ask(anonymous)).toBe(0);
        expect((await anonymous.read(file, 0, 10)).status).toBe(P.NFS3ERR_ACCES);
      } finally {
        await anonymous.rpc.close();
      }
    });

    it("the write verifier changes when the server starts again", async () => {
      const file = await newFile();
      const first = (await c.write(file, 0, Buffer.from("x"))).verf!;
      const second = new NfsAdapter({ logger: silentLogger, bind: "127.0.0.1", port: 0, mountPort: null, maxRecordBytes: 1 << 20 });
      second.setRegistry(registry);
      await second.serve();
      const other = await Client.connect(second.port());
      try {
        const again = (await other.write(file, 0, Buffer.from("y"))).verf!;
        expect(again.length).toBe(8);
        expect(again.equals(first)).toBe(false);
      } finally {
        await other.rpc.close();
        await second.stop(1000);
      }
    });
  });
});
