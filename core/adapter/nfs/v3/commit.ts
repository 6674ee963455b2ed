import { wccOf } from "../../../metadata/types.js";
import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, decodeUint64, encodeWccData, type WccData3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { wccAfter } from "../attrs.js";
import type { NfsContext, NfsTarget } from "../context.js";

/**
 * RFC 1813 §3.3.21 COMMIT: args nfs_fh3 file, offset3 offset, count3 count; resok wcc_data
 * file_wcc, writeverf3 verf; resfail wcc_data file_wcc. The whole file is made durable whatever
 * the range (the RFC allows committing more than asked), and so is every metadata change before
 * it (its size, its names). Only regular files hold cached data;
 * for anything else there is nothing to commit. Committing changes no attributes, so the wcc
 * reports the same attributes before and after.
 */
export async function commit(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const file = decodeNfsFh3(args);
  decodeUint64(args); // offset
  args.u32(); // count
  let target: NfsTarget | null = null;
  let fileWcc: WccData3;
  try {
    target = ctx.resolve(call, file);
    const attr = await ctx.metadata.getAttr(target.share.name, target.fileId);
    const share = target.share.name;
    // The client drops its copy after this: the file's size and names must be on disk too. The
    // two syncs are independent (a client that misses the reply sends its data again), so they run at once.
    await Promise.all([
      attr.type === "file" && attr.contentId !== null ? ctx.content.commit(share, attr.contentId) : undefined,
      ctx.metadata.sync(share),
    ]);
    fileWcc = ctx.wcc(target, { before: wccOf(attr), after: attr });
  } catch (err) {
    out.u32(ctx.fail(call, "COMMIT", err));
    encodeWccData(out, wccAfter(await ctx.attrsOrNull(target)));
    return;
  }
  out.u32(NFS3_OK);
  encodeWccData(out, fileWcc);
  out.opaqueFixed(ctx.writeVerifier);
}
