import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, encodePostOpAttr, type Fattr3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext, NfsTarget } from "../context.js";

/**
 * RFC 1813 §3.3.4 ACCESS: args nfs_fh3 object, uint32 access; resok post_op_attr
 * obj_attributes, uint32 access (the requested bits that are granted); resfail post_op_attr
 * obj_attributes. The ACCESS3_* bits are the metadata service's own bit numbering.
 */
export async function access(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const object = decodeNfsFh3(args);
  const requested = args.u32();
  let target: NfsTarget | null = null;
  let objAttributes: Fattr3;
  let granted: number;
  try {
    target = ctx.resolve(call, object);
    const result = await ctx.metadata.access(target.auth, target.share.name, target.fileId, requested);
    objAttributes = ctx.fattr(target, result.attr);
    granted = result.granted & requested;
  } catch (err) {
    out.u32(ctx.fail(call, "ACCESS", err));
    encodePostOpAttr(out, await ctx.attrsOrNull(target));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpAttr(out, objAttributes);
  out.u32(granted);
}
