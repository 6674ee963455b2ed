import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, encodePostOpAttr, type Fattr3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext, NfsTarget } from "../context.js";

/**
 * RFC 1813 §3.3.5 READLINK: args nfs_fh3 symlink; resok post_op_attr symlink_attributes,
 * nfspath3 data; resfail post_op_attr symlink_attributes. Not a symlink → NFS3ERR_INVAL
 * (the metadata service's Invalid).
 */
export async function readlink(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const symlink = decodeNfsFh3(args);
  let target: NfsTarget | null = null;
  let symlinkAttributes: Fattr3;
  let data: string;
  try {
    target = ctx.resolve(call, symlink);
    const result = await ctx.metadata.readLink(target.auth, target.share.name, target.fileId);
    symlinkAttributes = ctx.fattr(target, result.attr);
    data = result.target;
  } catch (err) {
    out.u32(ctx.fail(call, "READLINK", err));
    encodePostOpAttr(out, await ctx.attrsOrNull(target));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpAttr(out, symlinkAttributes);
  out.string(data);
}
