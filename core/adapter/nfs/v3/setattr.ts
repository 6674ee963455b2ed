import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import {
  decodeNfsFh3,
  decodeSattr3,
  decodeSattrGuard3,
  encodeWccData,
  type WccData3,
} from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { fromNfstime3, toSetAttrRequest, wccAfter } from "../attrs.js";
import type { NfsContext, NfsTarget } from "../context.js";

/**
 * RFC 1813 §3.3.2 SETATTR: args nfs_fh3 object, sattr3 new_attributes, sattrguard3 guard;
 * resok and resfail both carry wcc_data obj_wcc. With a guard, the change happens only when
 * the object's ctime equals it (else NFS3ERR_NOT_SYNC, decided by the metadata service). The
 * metadata service takes a size change to the content too, in order with the file's WRITEs.
 */
export async function setattr(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const object = decodeNfsFh3(args);
  const newAttributes = decodeSattr3(args);
  const guard = decodeSattrGuard3(args);
  let target: NfsTarget | null = null;
  let objWcc: WccData3;
  try {
    target = ctx.resolve(call, object);
    ctx.requireWritable(target);
    const request = toSetAttrRequest(newAttributes);
    const { share, fileId, auth } = target;
    if (request.size !== undefined) await ctx.breakClientCaches(target, "write");
    const { wcc } = await ctx.metadata.setAttr(auth, share.name, fileId, request, guard && fromNfstime3(guard));
    objWcc = ctx.wcc(target, wcc);
  } catch (err) {
    out.u32(ctx.fail(call, "SETATTR", err));
    encodeWccData(out, wccAfter(await ctx.attrsOrNull(target)));
    return;
  }
  out.u32(NFS3_OK);
  encodeWccData(out, objWcc);
}
