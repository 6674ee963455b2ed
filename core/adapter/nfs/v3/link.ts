import { fsError } from "../../../errors.js";
import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import {
  decodeNfsFh3,
  decodeNfsString,
  encodePostOpAttr,
  encodeWccData,
  type Fattr3,
  type WccData3,
} from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { wccAfter } from "../attrs.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { decodeName } from "../names.js";

/**
 * RFC 1813 §3.3.15 LINK: args nfs_fh3 file, diropargs3 link; resok and resfail both carry
 * post_op_attr file_attributes, wcc_data linkdir_wcc. The file and the directory must be in
 * one share (else NFS3ERR_XDEV).
 */
export async function link(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const file = decodeNfsFh3(args);
  const dir = decodeNfsFh3(args);
  const name = decodeNfsString(args);
  let fileTarget: NfsTarget | null = null;
  let dirTarget: NfsTarget | null = null;
  let fileAttributes: Fattr3;
  let linkdirWcc: WccData3;
  try {
    fileTarget = ctx.resolve(call, file);
    dirTarget = ctx.resolve(call, dir);
    if (fileTarget.share.id !== dirTarget.share.id) throw fsError("XDev", "LINK across shares");
    ctx.requireWritable(dirTarget);
    const { share, fileId, auth } = dirTarget;
    const result = await ctx.metadata.link(auth, share.name, fileTarget.fileId, fileId, decodeName(name, "create"));
    fileAttributes = ctx.fattr(fileTarget, result.attr);
    linkdirWcc = ctx.wcc(dirTarget, result.dirWcc);
  } catch (err) {
    out.u32(ctx.fail(call, "LINK", err));
    encodePostOpAttr(out, await ctx.attrsOrNull(fileTarget));
    encodeWccData(out, wccAfter(await ctx.attrsOrNull(dirTarget)));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpAttr(out, fileAttributes);
  encodeWccData(out, linkdirWcc);
}
