import type { FileAttr } from "../../../metadata/types.js";
import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, decodeUint64, encodePostOpAttr } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { MAX_IO_BYTES } from "../limits.js";

const NO_DATA: Buffer = Buffer.alloc(0);
/** Reads this large or larger use a pooled buffer; smaller ones are cheap to allocate. */
const POOLED_READ_MIN = 64 * 1024;

/**
 * RFC 1813 §3.3.6 READ: args nfs_fh3 file, offset3 offset, count3 count; resok post_op_attr
 * file_attributes, count3 count, bool eof, opaque data<>; resfail post_op_attr file_attributes.
 * The count is clamped to rtmax and to the file size from metadata; bytes the content store
 * does not hold below that size (a hole at the end) read as zeros. The payload goes to the
 * socket by reference, never copied into the reply.
 */
export async function read(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const file = decodeNfsFh3(args);
  const offset = decodeUint64(args);
  const count = args.u32();
  let target: NfsTarget | null = null;
  let attr: FileAttr;
  let data: Buffer = NO_DATA;
  let pooled: Buffer | undefined;
  try {
    target = ctx.resolve(call, file);
    const share = target.share.name;
    await ctx.breakClientCaches(target, "read");
    // Refuses anything but a regular file: IsDir for directories, Invalid for the rest. The
    // size and the content read agree: no truncation runs in between.
    attr = await ctx.metadata.read(target.auth, share, target.fileId, async (file) => {
      if (offset >= file.size) return file;
      const wanted = Math.min(count, MAX_IO_BYTES, file.size - offset);
      if (wanted >= POOLED_READ_MIN) pooled = ctx.readBuffers.take();
      if (wanted > 0) {
        let got = NO_DATA;
        if (file.contentId !== null && pooled) {
          // A sequential read may come back in a read-ahead buffer that replaces `pooled`.
          const read = await ctx.content.readExchange(share, file.contentId, offset, wanted, pooled);
          pooled = read.buffer;
          got = read.data;
        } else if (file.contentId !== null) {
          got = await ctx.content.read(share, file.contentId, offset, wanted);
        }
        data = padded(got, wanted, pooled);
      }
      return file;
    });
  } catch (err) {
    if (pooled) ctx.readBuffers.give(pooled);
    out.u32(ctx.fail(call, "READ", err));
    encodePostOpAttr(out, await ctx.attrsOrNull(target));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpAttr(out, ctx.fattr(target, attr));
  out.u32(data.length);
  out.bool(offset + data.length >= attr.size);
  const buffer = pooled;
  out.opaqueRef(data, buffer && (() => ctx.readBuffers.give(buffer)));
}

/** `data` clamped or padded to `length`: a hole at the end reads as zeros (`data` starts `into` when given). */
function padded(data: Buffer, length: number, into: Buffer | undefined): Buffer {
  if (data.length >= length) return data.length === length ? data : data.subarray(0, length);
  const filled = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  if (!into) data.copy(filled);
  filled.fill(0, data.length);
  return filled;
}
