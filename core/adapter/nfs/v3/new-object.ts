import type { FileAttr, Wcc } from "../../../metadata/types.js";
import { NFS3_OK } from "../../../protocol/nfs/v3/constants.js";
import {
  encodePostOpAttr,
  encodePostOpFh3,
  encodeWccData,
  type Fattr3,
  type WccData3,
} from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { wccAfter } from "../attrs.js";
import type { NfsContext, NfsTarget } from "../context.js";
import { decodeName } from "../names.js";

/**
 * The shared shape of CREATE, MKDIR, SYMLINK and MKNOD (RFC 1813 §3.3.8-§3.3.11): resolve the
 * directory, refuse read-only shares, validate the new name, let `make` create the node, and
 * answer resok post_op_fh3 obj, post_op_attr obj_attributes, wcc_data dir_wcc, or resfail
 * wcc_data dir_wcc.
 */
export async function createObject(
  ctx: NfsContext,
  call: RpcCall,
  procedure: string,
  dir: Buffer,
  name: Buffer,
  out: XdrWriter,
  make: (target: NfsTarget, name: string) => Promise<{ attr: FileAttr; dirWcc: Wcc }>,
): Promise<void> {
  let target: NfsTarget | null = null;
  let obj: Buffer;
  let objAttributes: Fattr3;
  let dirWcc: WccData3;
  try {
    target = ctx.resolve(call, dir);
    ctx.requireWritable(target);
    const made = await make(target, decodeName(name, "create"));
    obj = ctx.handleFor(target.share, made.attr.id);
    objAttributes = ctx.fattr(target, made.attr);
    dirWcc = ctx.wcc(target, made.dirWcc);
  } catch (err) {
    out.u32(ctx.fail(call, procedure, err));
    encodeWccData(out, wccAfter(await ctx.attrsOrNull(target)));
    return;
  }
  out.u32(NFS3_OK);
  encodePostOpFh3(out, obj);
  encodePostOpAttr(out, objAttributes);
  encodeWccData(out, dirWcc);
}
