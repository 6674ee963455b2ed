import type { FileAttr } from "../../../metadata/types.js";
import { NFS3_COOKIEVERFSIZE, NFS3_OK, NFS3ERR_TOOSMALL } from "../../../protocol/nfs/v3/constants.js";
import {
  decodeNfsFh3,
  decodeUint64,
  encodeFattr3,
  encodePostOpAttr,
  entry3Size,
  entryplus3Size,
  readdirReplyOverhead,
} from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { NfsStatusError } from "../errors.js";
import { MAX_IO_BYTES } from "../limits.js";
import { batchFor, COOKIE_VERIFIER, DirListing, type ListedEntry } from "./listing.js";

/**
 * The smallest entryplus3 with attributes and a handle, for sizing store pages: one page then
 * fills a whole reply, where a second store query would cost more than the few rows left over.
 */
const SMALL_ENTRYPLUS3_BYTES = 132;

/**
 * RFC 1813 §3.3.17 READDIRPLUS: args nfs_fh3 dir, cookie3 cookie, cookieverf3 cookieverf,
 * count3 dircount, count3 maxcount; resok post_op_attr dir_attributes, cookieverf3 cookieverf,
 * dirlistplus3 reply (entryplus3 *entries, bool eof); resfail post_op_attr dir_attributes.
 * Every entry, "." and ".." included, carries its attributes and handle. Entries are added
 * while the whole READDIRPLUS3resok stays within `maxcount` and the directory part (fileid,
 * name, cookie) within `dircount`; the first entry is always sent if `maxcount` allows, so a
 * small `dircount` slows a listing down but never stalls it. Any cookie verifier is accepted.
 */
export async function readdirplus(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dir = decodeNfsFh3(args);
  const cookie = decodeUint64(args);
  args.opaqueFixed(NFS3_COOKIEVERFSIZE);
  const dircount = args.u32();
  const maxcount = Math.min(args.u32(), MAX_IO_BYTES);
  let target: NfsTarget | null = null;
  let dirAttributes: FileAttr;
  const entries: ListedEntry[] = [];
  const handles: Buffer[] = [];
  let eof = false;
  try {
    target = ctx.resolve(call, dir);
    const listing = await DirListing.open(ctx, target, cookie, batchFor(maxcount, SMALL_ENTRYPLUS3_BYTES));
    dirAttributes = listing.dir;
    let used = readdirReplyOverhead(true);
    let dirUsed = 0;
    for (;;) {
      const entry = await listing.next();
      if (!entry) {
        eof = true;
        break;
      }
      const handle = ctx.handleFor(target.share, entry.attr.id);
      const nameBytes = Buffer.byteLength(entry.name);
      const size = entryplus3Size(nameBytes, true, handle.length);
      const dirSize = entry3Size(nameBytes);
      if (used + size > maxcount || (entries.length > 0 && dirUsed + dirSize > dircount)) break;
      used += size;
      dirUsed += dirSize;
      entries.push(entry);
      handles.push(handle);
    }
    if (entries.length === 0 && !eof) {
      throw new NfsStatusError(NFS3ERR_TOOSMALL, `READDIRPLUS maxcount ${maxcount} fits no entry`);
    }
  } catch (err) {
    out.u32(ctx.fail(call, "READDIRPLUS", err));
    encodePostOpAttr(out, await ctx.attrsOrNull(target));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpAttr(out, ctx.fattr(target, dirAttributes));
  out.opaqueFixed(COOKIE_VERIFIER);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    out.bool(true);
    out.u64(entry.attr.ino);
    out.string(entry.name);
    out.u64(entry.cookie);
    out.bool(true);
    encodeFattr3(out, ctx.fattr(target, entry.attr));
    out.bool(true);
    out.opaqueVar(handles[i]!);
  }
  out.bool(false);
  out.bool(eof);
}
