/**
 * NFSv3 and MOUNT v3 arguments (RFC 1813) encoded by hand over rawrpc.ts, independent of the
 * server's codecs, for tests that need exact xids, source ports or resends.
 */
import { type RawConnection, type Reply } from "./rawrpc.js";

export const NFS_PROGRAM = 100003;
export const MOUNT_PROGRAM = 100005;
export const NFSPROC3 = { GETATTR: 1, SETATTR: 2, LOOKUP: 3, WRITE: 7, CREATE: 8, MKDIR: 9, REMOVE: 12, RENAME: 14 } as const;
export const MOUNTPROC3_MNT = 1;
export const NFS3_OK = 0;
export const NFS3ERR_PERM = 1;
export const NFS3ERR_NOENT = 2;
export const NFS3ERR_EXIST = 17;
export const MNT3ERR_ACCES = 13;
/** stable_how */
export const UNSTABLE = 0;

/** XDR words, strings and opaques, concatenated. */
export class Args {
  private readonly parts: Buffer[] = [];

  u32(...values: number[]): this {
    for (const value of values) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(value >>> 0);
      this.parts.push(b);
    }
    return this;
  }

  u64(value: number): this {
    return this.u32(Math.floor(value / 2 ** 32), value % 2 ** 32);
  }

  opaque(bytes: Buffer): this {
    this.u32(bytes.length);
    this.parts.push(bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4));
    return this;
  }

  string(text: string): this {
    return this.opaque(Buffer.from(text));
  }

  fixed(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }

  /** diropargs3: a directory handle and a name. */
  dirop(dir: Buffer, name: string): this {
    return this.opaque(dir).string(name);
  }

  /** sattr3 that sets nothing. */
  noAttrs(): this {
    return this.u32(0, 0, 0, 0, 0, 0);
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Root's AUTH_SYS credential (the e2e shares do not squash root). */
export const ROOT = { uid: 0, gid: 0 };

/** The accepted reply's results, failing on anything but SUCCESS. */
export function results(reply: Reply): Buffer {
  if (reply.kind !== "accepted" || reply.acceptStat !== 0) throw new Error(`call not accepted: ${JSON.stringify(reply)}`);
  return reply.results;
}

/** The nfsstat3 (or mountstat3) that starts every result. */
export function status(reply: Reply): number {
  return results(reply).readUInt32BE(0);
}

/** MNT `path`: the root file handle, or throws with the mountstat3. */
export async function mount(connection: RawConnection, path: string, xid = 1): Promise<Buffer> {
  const reply = await connection.call({ xid, prog: MOUNT_PROGRAM, vers: 3, proc: MOUNTPROC3_MNT, sys: ROOT, args: new Args().string(path).done() });
  const body = results(reply);
  const stat = body.readUInt32BE(0);
  if (stat !== 0) throw new Error(`MNT ${path}: mountstat3 ${stat}`);
  return Buffer.from(body.subarray(8, 8 + body.readUInt32BE(4)));
}

/** LOOKUP `name` in `dir`: its handle, or throws with the nfsstat3. */
export async function lookup(connection: RawConnection, dir: Buffer, name: string, xid: number): Promise<Buffer> {
  const reply = await connection.call({ xid, prog: NFS_PROGRAM, vers: 3, proc: NFSPROC3.LOOKUP, sys: ROOT, args: new Args().dirop(dir, name).done() });
  const body = results(reply);
  const stat = body.readUInt32BE(0);
  if (stat !== NFS3_OK) throw new Error(`LOOKUP ${name}: nfsstat3 ${stat}`);
  return Buffer.from(body.subarray(8, 8 + body.readUInt32BE(4)));
}
