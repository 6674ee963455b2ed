import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, encodePostOpAttr, type Fattr3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext, NfsTarget } from "../context.js";

/** Free space reported when the content store has no bound (memory, S3): 1 PiB. */
const UNBOUNDED_BYTES = 2 ** 50;
/** Free file slots reported: no store limits the number of files. */
const UNBOUNDED_FILES = 2 ** 32;

interface Fsstat3 {
  tbytes: number;
  fbytes: number;
  abytes: number;
  tfiles: number;
  ffiles: number;
  afiles: number;
}

/**
 * RFC 1813 §3.3.18 FSSTAT: args nfs_fh3 fsroot; resok post_op_attr obj_attributes, size3
 * tbytes, fbytes, abytes, tfiles, ffiles, afiles, uint32 invarsec; resfail post_op_attr
 * obj_attributes. Bytes come from the content store's space, files from the metadata store's
 * usage; invarsec 0 because the numbers change with every write.
 */
export async function fsstat(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const fsroot = decodeNfsFh3(args);
  let target: NfsTarget | null = null;
  let objAttributes: Fattr3;
  let stat: Fsstat3;
  try {
    target = ctx.resolve(call, fsroot);
    const name = target.share.name;
    const [attr, usage, space] = await Promise.all([
      ctx.metadata.getAttr(name, target.fileId),
      ctx.metadata.usage(name),
      ctx.content.space(name),
    ]);
    objAttributes = ctx.fattr(target, attr);
    const available = Number.isFinite(space.available) ? Math.max(0, space.available) : UNBOUNDED_BYTES;
    stat = {
      tbytes: space.used + available,
      fbytes: available,
      abytes: available,
      tfiles: usage.files + UNBOUNDED_FILES,
      ffiles: UNBOUNDED_FILES,
      afiles: UNBOUNDED_FILES,
    };
  } catch (err) {
    out.u32(ctx.fail(call, "FSSTAT", err));
    encodePostOpAttr(out, await ctx.attrsOrNull(target));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpAttr(out, objAttributes);
  out.u64(stat.tbytes);
  out.u64(stat.fbytes);
  out.u64(stat.abytes);
  out.u64(stat.tfiles);
  out.u64(stat.ffiles);
  out.u64(stat.afiles);
  out.u32(0); // invarsec
}
