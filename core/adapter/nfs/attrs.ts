import { fsError } from "../../errors.js";
import type { SetAttrRequest } from "../../metadata/service.js";
import type { FileAttr, FileType, Timespec, Wcc, WccAttr } from "../../metadata/types.js";
import { NF3BLK, NF3CHR, NF3DIR, NF3FIFO, NF3LNK, NF3REG, NF3SOCK } from "../../protocol/nfs/v3/constants.js";
import { MAX_FILE_SIZE } from "./limits.js";
import type { Fattr3, Nfstime3, Sattr3, SetTime3, WccAttr3, WccData3 } from "../../protocol/nfs/v3/types.js";

/** Conversions between the metadata service's types and the NFSv3 wire types. */

export const FTYPE3_OF: Readonly<Record<FileType, number>> = {
  file: NF3REG,
  dir: NF3DIR,
  block: NF3BLK,
  char: NF3CHR,
  symlink: NF3LNK,
  socket: NF3SOCK,
  fifo: NF3FIFO,
};

/** Allocation unit reported in fattr3.used: what the bytes would occupy in 4 KiB blocks. */
const BLOCK = 4096;

export function toNfstime3(t: Timespec): Nfstime3 {
  return { seconds: t.sec, nseconds: t.nsec };
}

export function fromNfstime3(t: Nfstime3): Timespec {
  return { sec: t.seconds, nsec: t.nseconds };
}

/** fattr3 for a node; `fsid` is the share id, so every share looks like its own file system. */
export function toFattr3(attr: FileAttr, fsid: number): Fattr3 {
  return {
    type: FTYPE3_OF[attr.type],
    mode: attr.mode & 0o7777,
    nlink: attr.nlink,
    uid: attr.uid,
    gid: attr.gid,
    size: attr.size,
    used: Math.ceil(attr.size / BLOCK) * BLOCK,
    rdev: { specdata1: attr.rdev.major, specdata2: attr.rdev.minor },
    fsid,
    fileid: attr.ino,
    atime: toNfstime3(attr.atime),
    mtime: toNfstime3(attr.mtime),
    ctime: toNfstime3(attr.ctime),
  };
}

export function toWccAttr3(attr: WccAttr): WccAttr3 {
  return { size: attr.size, mtime: toNfstime3(attr.mtime), ctime: toNfstime3(attr.ctime) };
}

export function toWccData3(wcc: Wcc, fsid: number): WccData3 {
  return {
    before: wcc.before ? toWccAttr3(wcc.before) : null,
    after: wcc.after ? toFattr3(wcc.after, fsid) : null,
  };
}

/** wcc_data with only the attributes after the call, for error arms and calls that changed nothing. */
export function wccAfter(after: Fattr3 | null): WccData3 {
  return { before: null, after };
}

function setTime(t: SetTime3): Timespec | "now" | undefined {
  if (t === null) return undefined;
  if (t === "server") return "now";
  if (t.nseconds >= 1_000_000_000) throw fsError("Invalid", `nfstime3 nseconds ${t.nseconds} out of range`);
  return fromNfstime3(t);
}

/**
 * sattr3 as a service request. Throws FsError FileTooBig for a size beyond MAX_FILE_SIZE and
 * Invalid for a client time with nseconds of a second or more.
 */
export function toSetAttrRequest(s: Sattr3): SetAttrRequest {
  const req: SetAttrRequest = {};
  if (s.mode !== null) req.mode = s.mode & 0o7777;
  if (s.uid !== null) req.uid = s.uid;
  if (s.gid !== null) req.gid = s.gid;
  if (s.size !== null) {
    if (s.size > MAX_FILE_SIZE) throw fsError("FileTooBig", "requested size exceeds the maximum file size");
    req.size = s.size;
  }
  const atime = setTime(s.atime);
  if (atime !== undefined) req.atime = atime;
  const mtime = setTime(s.mtime);
  if (mtime !== undefined) req.mtime = mtime;
  return req;
}
