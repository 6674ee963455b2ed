import { fsError } from "../../../errors.js";
import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, decodeNfsString, encodeWccData, type WccData3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { wccAfter } from "../attrs.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { decodeName } from "../names.js";

/**
 * RFC 1813 §3.3.14 RENAME: args diropargs3 from, diropargs3 to; resok and resfail both carry
 * wcc_data fromdir_wcc, wcc_data todir_wcc. Both directories must be in one share (else
 * NFS3ERR_XDEV). A file replaced at the target whose last name that was loses its content.
 */
export async function rename(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const fromDir = decodeNfsFh3(args);
  const fromName = decodeNfsString(args);
  const toDir = decodeNfsFh3(args);
  const toName = decodeNfsString(args);
  let from: NfsTarget | null = null;
  let to: NfsTarget | null = null;
  let fromdirWcc: WccData3;
  let todirWcc: WccData3;
  try {
    from = ctx.resolve(call, fromDir);
    to = ctx.resolve(call, toDir);
    if (from.share.id !== to.share.id) throw fsError("XDev", "RENAME across shares");
    ctx.requireWritable(from);
    const result = await ctx.metadata.rename(
      from.auth,
      from.share.name,
      from.fileId,
      decodeName(fromName, "remove"),
      to.fileId,
      decodeName(toName, "remove"),
    );
    fromdirWcc = ctx.wcc(from, result.fromWcc);
    todirWcc = ctx.wcc(to, result.toWcc);
  } catch (err) {
    out.u32(ctx.fail(call, "RENAME", err));
    encodeWccData(out, wccAfter(await ctx.attrsOrNull(from)));
    encodeWccData(out, wccAfter(await ctx.attrsOrNull(to)));
    return;
  }
  out.u32(NFS3_OK);
  encodeWccData(out, fromdirWcc);
  encodeWccData(out, todirWcc);
}
