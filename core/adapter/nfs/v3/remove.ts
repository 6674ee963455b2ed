import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, decodeNfsString, encodeWccData, type WccData3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { wccAfter } from "../attrs.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { decodeName } from "../names.js";

/**
 * RFC 1813 §3.3.12 REMOVE: args diropargs3 object; resok and resfail both carry wcc_data
 * dir_wcc. When the last name of a file goes (nlink 0), its content is deleted (by the services).
 */
export async function remove(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dir = decodeNfsFh3(args);
  const name = decodeNfsString(args);
  let target: NfsTarget | null = null;
  let dirWcc: WccData3;
  try {
    target = ctx.resolve(call, dir);
    ctx.requireWritable(target);
    const { share, fileId, auth } = target;
    const result = await ctx.metadata.remove(auth, share.name, fileId, decodeName(name, "remove"));
    dirWcc = ctx.wcc(target, result.dirWcc);
  } catch (err) {
    out.u32(ctx.fail(call, "REMOVE", err));
    encodeWccData(out, wccAfter(await ctx.attrsOrNull(target)));
    return;
  }
  out.u32(NFS3_OK);
  encodeWccData(out, dirWcc);
}
