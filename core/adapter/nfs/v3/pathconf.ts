import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, encodePostOpAttr, type Fattr3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { LINK_MAX, NAME_MAX } from "../limits.js";

/**
 * RFC 1813 §3.3.20 PATHCONF: args nfs_fh3 object; resok post_op_attr obj_attributes, uint32
 * linkmax, uint32 name_max, bool no_trunc, bool chown_restricted, bool case_insensitive, bool
 * case_preserving; resfail post_op_attr obj_attributes. linkmax is 1 where the share's store
 * cannot hold hard links (an S3 bucket). Long names are refused, not truncated;
 * only root may give files away; names are case-sensitive and kept as given.
 */
export async function pathconf(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const object = decodeNfsFh3(args);
  let target: NfsTarget | null = null;
  let objAttributes: Fattr3;
  let linkMax = LINK_MAX;
  try {
    target = ctx.resolve(call, object);
    objAttributes = ctx.fattr(target, await ctx.metadata.getAttr(target.share.name, target.fileId));
    if (!ctx.metadata.capabilities(target.share.name).hardLinks) linkMax = 1;
  } catch (err) {
    out.u32(ctx.fail(call, "PATHCONF", err));
    encodePostOpAttr(out, await ctx.attrsOrNull(target));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpAttr(out, objAttributes);
  out.u32(linkMax);
  out.u32(NAME_MAX);
  out.bool(true); // no_trunc
  out.bool(true); // chown_restricted
  out.bool(false); // case_insensitive
  out.bool(true); // case_preserving
}
