import { decodeNfsFh3, decodeNfsString, decodeSattr3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { toSetAttrRequest } from "../attrs.js";
import type { NfsContext } from "../context.js";
import { decodePath } from "../names.js";
import { createObject } from "./new-object.js";

/**
 * RFC 1813 §3.3.10 SYMLINK: args diropargs3 where, symlinkdata3 symlink (sattr3
 * symlink_attributes, nfspath3 symlink_data); resok post_op_fh3 obj, post_op_attr
 * obj_attributes, wcc_data dir_wcc; resfail wcc_data dir_wcc. The target is stored as given.
 */
export async function symlink(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dir = decodeNfsFh3(args);
  const name = decodeNfsString(args);
  const symlinkAttributes = decodeSattr3(args);
  const symlinkData = decodeNfsString(args);
  await createObject(ctx, call, "SYMLINK", dir, name, out, ({ share, fileId, auth }, validName) =>
    ctx.metadata.symlink(auth, share.name, fileId, validName, decodePath(symlinkData), toSetAttrRequest(symlinkAttributes)),
  );
}
