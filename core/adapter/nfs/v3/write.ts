import { fsError } from "../../../errors.js";
import type { Stability } from "../../../content/service.js";
import { wccOf, type FileAttr } from "../../../metadata/types.js";
import { DATA_SYNC, FILE_SYNC, NFS3_OK, UNSTABLE } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, decodeUint64, encodeWccData, type WccData3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import { XdrError, type XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { toWccAttr3 } from "../attrs.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { MAX_FILE_SIZE } from "../limits.js";

const STABILITY: Readonly<Record<number, Stability>> = {
  [UNSTABLE]: "unstable",
  [DATA_SYNC]: "data_sync",
  [FILE_SYNC]: "file_sync",
};

/**
 * RFC 1813 §3.3.7 WRITE: args nfs_fh3 file, offset3 offset, count3 count, stable_how stable,
 * opaque data<>; resok wcc_data file_wcc, count3 count, stable_how committed, writeverf3 verf;
 * resfail wcc_data file_wcc. The content service honours the requested stability, so
 * `committed` is exactly what was asked (UNSTABLE data waits in the cache for COMMIT); the
 * verifier changes on every server start so clients resend unstable data after a restart.
 */
export async function write(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const file = decodeNfsFh3(args);
  const offset = decodeUint64(args);
  const count = args.u32();
  const stable = args.u32();
  const stability = STABILITY[stable];
  if (stability === undefined) throw new XdrError(`invalid stable_how ${stable}`);
  const data = args.opaqueVar(0xffff_ffff);
  let target: NfsTarget | null = null;
  let before: FileAttr | null = null;
  let fileWcc: WccData3;
  try {
    target = ctx.resolve(call, file);
    ctx.requireWritable(target);
    if (count !== data.length) throw fsError("Invalid", `WRITE count ${count} but ${data.length} bytes of data`);
    if (offset + count > MAX_FILE_SIZE) throw fsError("FileTooBig", "WRITE beyond the maximum file size");
    const { share, fileId, auth } = target;
    await ctx.breakClientCaches(target, "write");
    if (count === 0) {
      // Nothing to write: POSIX leaves size and times alone. Refuses anything but a regular file.
      before = await ctx.metadata.checkWrite(auth, share.name, fileId);
      fileWcc = ctx.wcc(target, { before: wccOf(before), after: before });
    } else {
      // The metadata service checks permission and orders this against truncations and removal.
      const recorded = await ctx.metadata.write(auth, share.name, fileId, offset + count, async (file) => {
        before = file;
        await ctx.content.write(share.name, file.contentId!, offset, data, stability);
      });
      // A stable write promises the size that reaches the data, and the name, on disk as well.
      if (stability !== "unstable") await ctx.metadata.sync(share.name);
      fileWcc = ctx.wcc(target, recorded.wcc);
    }
  } catch (err) {
    out.u32(ctx.fail(call, "WRITE", err));
    encodeWccData(out, { before: before && toWccAttr3(wccOf(before)), after: await ctx.attrsOrNull(target) });
    return;
  }
  out.u32(NFS3_OK);
  encodeWccData(out, fileWcc);
  out.u32(count);
  out.u32(stable);
  out.opaqueFixed(ctx.writeVerifier);
}
