import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, decodeNfsString, encodeWccData, type WccData3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { wccAfter } from "../attrs.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { decodeName } from "../names.js";

/**
 * RFC 1813 §3.3.13 RMDIR: args diropargs3 object; resok and resfail both carry wcc_data
 * dir_wcc. A non-empty directory is NFS3ERR_NOTEMPTY; "." and ".." are NFS3ERR_INVAL.
 */
export async function rmdir(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dir = decodeNfsFh3(args);
  const name = decodeNfsString(args);
  let target: NfsTarget | null = null;
  let dirWcc: WccData3;
  try {
    target = ctx.resolve(call, dir);
    ctx.requireWritable(target);
    const { share, fileId, auth } = target;
    const result = await ctx.metadata.rmdir(auth, share.name, fileId, decodeName(name, "remove"));
    dirWcc = ctx.wcc(target, result.dirWcc);
  } catch (err) {
    out.u32(ctx.fail(call, "RMDIR", err));
    encodeWccData(out, wccAfter(await ctx.attrsOrNull(target)));
    return;
  }
  out.u32(NFS3_OK);
  encodeWccData(out, dirWcc);
}
