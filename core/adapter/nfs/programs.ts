import {
  MOUNT_PROGRAM,
  MOUNT_V3,
  MOUNTPROC3_DUMP,
  MOUNTPROC3_EXPORT,
  MOUNTPROC3_MNT,
  MOUNTPROC3_NULL,
  MOUNTPROC3_UMNT,
  MOUNTPROC3_UMNTALL,
} from "../../protocol/nfs/mount/constants.js";
import * as P from "../../protocol/nfs/v3/constants.js";
import { AUTH_NONE, AUTH_SYS, type DispatchTable, type Procedure, type RpcProgram } from "../../protocol/rpc/types.js";
import type { NfsContext, NfsHandler } from "./context.js";
import { dump } from "./mount/dump.js";
import { exportList } from "./mount/export.js";
import { mnt } from "./mount/mnt.js";
import { mountNull } from "./mount/null.js";
import { umnt } from "./mount/umnt.js";
import { umntall } from "./mount/umntall.js";
import { access } from "./v3/access.js";
import { commit } from "./v3/commit.js";
import { create } from "./v3/create.js";
import { fsinfo } from "./v3/fsinfo.js";
import { fsstat } from "./v3/fsstat.js";
import { getattr } from "./v3/getattr.js";
import { link } from "./v3/link.js";
import { lookup } from "./v3/lookup.js";
import { mkdir } from "./v3/mkdir.js";
import { mknod } from "./v3/mknod.js";
import { nfsNull } from "./v3/null.js";
import { pathconf } from "./v3/pathconf.js";
import { read } from "./v3/read.js";
import { readdir } from "./v3/readdir.js";
import { readdirplus } from "./v3/readdirplus.js";
import { readlink } from "./v3/readlink.js";
import { remove } from "./v3/remove.js";
import { rename } from "./v3/rename.js";
import { rmdir } from "./v3/rmdir.js";
import { setattr } from "./v3/setattr.js";
import { symlink } from "./v3/symlink.js";
import { write } from "./v3/write.js";

/** Credentials both programs accept: AUTH_SYS (AUTH_UNIX) and AUTH_NONE. */
const ACCEPTED_FLAVORS = [AUTH_SYS, AUTH_NONE] as const;

/** Marks a procedure whose replies go to the duplicate request cache. */
const NON_IDEMPOTENT = true;

function table(ctx: NfsContext, entries: ReadonlyArray<[number, string, NfsHandler, boolean?]>): DispatchTable {
  return new Map<number, Procedure>(
    entries.map(([number, name, handler, nonIdempotent = false]) => [
      number,
      { name, handler: (call, args, out) => handler(ctx, call, args, out), nonIdempotent },
    ]),
  );
}

/**
 * NFS version 3 (RFC 1813 §3.3): procedure number → procedure. The procedures whose second run
 * answers differently (knfsd's list: SETATTR, CREATE, MKDIR, SYMLINK, MKNOD, REMOVE, RMDIR,
 * RENAME, LINK) are marked non-idempotent. WRITE is left out: running it again stores the same
 * bytes, and hashing 1 MiB of arguments per WRITE would cost more than it saves.
 */
export function nfsProgram(ctx: NfsContext): RpcProgram {
  const v3 = table(ctx, [
    [P.NFSPROC3_NULL, "NULL", nfsNull],
    [P.NFSPROC3_GETATTR, "GETATTR", getattr],
    [P.NFSPROC3_SETATTR, "SETATTR", setattr, NON_IDEMPOTENT],
    [P.NFSPROC3_LOOKUP, "LOOKUP", lookup],
    [P.NFSPROC3_ACCESS, "ACCESS", access],
    [P.NFSPROC3_READLINK, "READLINK", readlink],
    [P.NFSPROC3_READ, "READ", read],
    [P.NFSPROC3_WRITE, "WRITE", write],
    [P.NFSPROC3_CREATE, "CREATE", create, NON_IDEMPOTENT],
    [P.NFSPROC3_MKDIR, "MKDIR", mkdir, NON_IDEMPOTENT],
    [P.NFSPROC3_SYMLINK, "SYMLINK", symlink, NON_IDEMPOTENT],
    [P.NFSPROC3_MKNOD, "MKNOD", mknod, NON_IDEMPOTENT],
    [P.NFSPROC3_REMOVE, "REMOVE", remove, NON_IDEMPOTENT],
    [P.NFSPROC3_RMDIR, "RMDIR", rmdir, NON_IDEMPOTENT],
    [P.NFSPROC3_RENAME, "RENAME", rename, NON_IDEMPOTENT],
    [P.NFSPROC3_LINK, "LINK", link, NON_IDEMPOTENT],
    [P.NFSPROC3_READDIR, "READDIR", readdir],
    [P.NFSPROC3_READDIRPLUS, "READDIRPLUS", readdirplus],
    [P.NFSPROC3_FSSTAT, "FSSTAT", fsstat],
    [P.NFSPROC3_FSINFO, "FSINFO", fsinfo],
    [P.NFSPROC3_PATHCONF, "PATHCONF", pathconf],
    [P.NFSPROC3_COMMIT, "COMMIT", commit],
  ]);
  return { prog: P.NFS_PROGRAM, name: "nfs", versions: new Map([[P.NFS_V3, v3]]), acceptedFlavors: ACCEPTED_FLAVORS };
}

/** MOUNT version 3 (RFC 1813 §5.2): procedure number → procedure. */
export function mountProgram(ctx: NfsContext): RpcProgram {
  const v3 = table(ctx, [
    [MOUNTPROC3_NULL, "NULL", mountNull],
    [MOUNTPROC3_MNT, "MNT", mnt],
    [MOUNTPROC3_DUMP, "DUMP", dump],
    [MOUNTPROC3_UMNT, "UMNT", umnt],
    [MOUNTPROC3_UMNTALL, "UMNTALL", umntall],
    [MOUNTPROC3_EXPORT, "EXPORT", exportList],
  ]);
  return { prog: MOUNT_PROGRAM, name: "mount", versions: new Map([[MOUNT_V3, v3]]), acceptedFlavors: ACCEPTED_FLAVORS };
}
