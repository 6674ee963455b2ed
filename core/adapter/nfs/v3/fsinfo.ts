import {
  FSF3_CANSETTIME,
  FSF3_HOMOGENEOUS,
  FSF3_LINK,
  FSF3_SYMLINK,
  NFS3_OK,
} from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, encodeNfstime3, encodePostOpAttr, type Fattr3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { IO_MULTIPLE, MAX_FILE_SIZE, MAX_IO_BYTES, PREFERRED_READDIR_BYTES } from "../limits.js";

/** The same PATHCONF everywhere, and SETATTR may set times; links as the share's store allows. */
const BASE_PROPERTIES = FSF3_HOMOGENEOUS | FSF3_CANSETTIME;
/** Times are kept to the nanosecond. */
const TIME_DELTA = { seconds: 0, nseconds: 1 };

/**
 * RFC 1813 §3.3.19 FSINFO: args nfs_fh3 fsroot; resok post_op_attr obj_attributes, uint32
 * rtmax, rtpref, rtmult, wtmax, wtpref, wtmult, dtpref, size3 maxfilesize, nfstime3
 * time_delta, uint32 properties; resfail post_op_attr obj_attributes. FSF3_LINK and FSF3_SYMLINK
 * say what the share's store can hold (an S3 bucket share neither). maxfilesize is 2^53 - 1
 * because offsets and sizes are JavaScript numbers, exact only up to there.
 */
export async function fsinfo(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const fsroot = decodeNfsFh3(args);
  let target: NfsTarget | null = null;
  let objAttributes: Fattr3;
  let properties = BASE_PROPERTIES;
  try {
    target = ctx.resolve(call, fsroot);
    objAttributes = ctx.fattr(target, await ctx.metadata.getAttr(target.share.name, target.fileId));
    const { hardLinks, symlinks } = ctx.metadata.capabilities(target.share.name);
    if (hardLinks) properties |= FSF3_LINK;
    if (symlinks) properties |= FSF3_SYMLINK;
  } catch (err) {
    out.u32(ctx.fail(call, "FSINFO", err));
    encodePostOpAttr(out, await ctx.attrsOrNull(target));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpAttr(out, objAttributes);
  out.u32(MAX_IO_BYTES); // rtmax
  out.u32(MAX_IO_BYTES); // rtpref
  out.u32(IO_MULTIPLE); // rtmult
  out.u32(MAX_IO_BYTES); // wtmax
  out.u32(MAX_IO_BYTES); // wtpref
  out.u32(IO_MULTIPLE); // wtmult
  out.u32(PREFERRED_READDIR_BYTES); // dtpref
  out.u64(MAX_FILE_SIZE);
  encodeNfstime3(out, TIME_DELTA);
  out.u32(properties);
}
