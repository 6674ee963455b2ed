import type { FileAttr } from "../../../metadata/types.js";
import { NFS3_COOKIEVERFSIZE, NFS3_OK, NFS3ERR_TOOSMALL } from "../../../protocol/nfs/v3/constants.js";
import {
  decodeNfsFh3,
  decodeUint64,
  encodePostOpAttr,
  entry3Size,
  readdirReplyOverhead,
} from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { NfsStatusError } from "../errors.js";
import { MAX_IO_BYTES } from "../limits.js";
import { batchFor, COOKIE_VERIFIER, DirListing, type ListedEntry } from "./listing.js";

/** A short name's entry3 on the wire, for sizing store pages. */
const TYPICAL_ENTRY3_BYTES = 40;

/**
 * RFC 1813 §3.3.16 READDIR: args nfs_fh3 dir, cookie3 cookie, cookieverf3 cookieverf, count3
 * count; resok post_op_attr dir_attributes, cookieverf3 cookieverf, dirlist3 reply (entry3
 * *entries, bool eof); resfail post_op_attr dir_attributes. "." and ".." come first; entries
 * are added while the whole READDIR3resok (all XDR overhead included) stays within `count`.
 * Any cookie verifier is accepted (see listing.ts).
 */
export async function readdir(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dir = decodeNfsFh3(args);
  const cookie = decodeUint64(args);
  args.opaqueFixed(NFS3_COOKIEVERFSIZE);
  const count = Math.min(args.u32(), MAX_IO_BYTES);
  let target: NfsTarget | null = null;
  let dirAttributes: FileAttr;
  const entries: ListedEntry[] = [];
  let eof = false;
  try {
    target = ctx.resolve(call, dir);
    const listing = await DirListing.open(ctx, target, cookie, batchFor(count, TYPICAL_ENTRY3_BYTES));
    dirAttributes = listing.dir;
    let used = readdirReplyOverhead(true);
    for (;;) {
      const entry = await listing.next();
      if (!entry) {
        eof = true;
        break;
      }
      const size = entry3Size(Buffer.byteLength(entry.name));
      if (used + size > count) break;
      used += size;
      entries.push(entry);
    }
    if (entries.length === 0 && !eof) throw new NfsStatusError(NFS3ERR_TOOSMALL, `READDIR count ${count} fits no entry`);
  } catch (err) {
    out.u32(ctx.fail(call, "READDIR", err));
    encodePostOpAttr(out, await ctx.attrsOrNull(target));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpAttr(out, ctx.fattr(target, dirAttributes));
  out.opaqueFixed(COOKIE_VERIFIER);
  for (const entry of entries) {
    out.bool(true);
    out.u64(entry.attr.ino);
    out.string(entry.name);
    out.u64(entry.cookie);
  }
  out.bool(false);
  out.bool(eof);
}
