import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, encodeFattr3, type Fattr3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext } from "../context.js";

/**
 * RFC 1813 §3.3.1 GETATTR: args nfs_fh3 object; resok fattr3 obj_attributes; resfail void.
 * Attributes need no permission beyond the share admitting the client.
 */
export async function getattr(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const object = decodeNfsFh3(args);
  let attributes: Fattr3;
  try {
    const target = ctx.resolve(call, object);
    attributes = ctx.fattr(target, await ctx.metadata.getAttr(target.share.name, target.fileId));
  } catch (err) {
    out.u32(ctx.fail(call, "GETATTR", err));
    return;
  }
  out.u32(NFS3_OK);
  encodeFattr3(out, attributes);
}
