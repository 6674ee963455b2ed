import { NameNotFound } from "../../../metadata/service.js";
import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import {
  decodeNfsFh3,
  decodeNfsString,
  encodePostOpAttr,
  type Fattr3,
} from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { decodeName } from "../names.js";

/**
 * RFC 1813 §3.3.3 LOOKUP: args diropargs3 what; resok nfs_fh3 object, post_op_attr
 * obj_attributes, post_op_attr dir_attributes; resfail post_op_attr dir_attributes.
 * "." and ".." are resolved by the metadata service.
 */
export async function lookup(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dir = decodeNfsFh3(args);
  const name = decodeNfsString(args);
  let target: NfsTarget | null = null;
  let object: Buffer;
  let objAttributes: Fattr3;
  let dirAttributes: Fattr3;
  try {
    target = ctx.resolve(call, dir);
    const found = await ctx.metadata.lookup(target.auth, target.share.name, target.fileId, decodeName(name, "lookup"));
    object = ctx.handleFor(target.share, found.attr.id);
    objAttributes = ctx.fattr(target, found.attr);
    dirAttributes = ctx.fattr(target, found.dir);
  } catch (err) {
    out.u32(ctx.fail(call, "LOOKUP", err));
    // A free name (the usual miss) comes with the directory it was looked up in: no second read.
    encodePostOpAttr(out, err instanceof NameNotFound && target ? ctx.fattr(target, err.dir) : await ctx.attrsOrNull(target));
    return;
  }
  out.u32(NFS3_OK);
  out.opaqueVar(object);
  encodePostOpAttr(out, objAttributes);
  encodePostOpAttr(out, dirAttributes);
}
