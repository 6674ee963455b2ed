import { decodeNfsFh3, decodeNfsString, decodeSattr3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { toSetAttrRequest } from "../attrs.js";
import type { NfsContext } from "../context.js";
import { createObject } from "./new-object.js";

/**
 * RFC 1813 §3.3.9 MKDIR: args diropargs3 where, sattr3 attributes; resok post_op_fh3 obj,
 * post_op_attr obj_attributes, wcc_data dir_wcc; resfail wcc_data dir_wcc.
 */
export async function mkdir(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dir = decodeNfsFh3(args);
  const name = decodeNfsString(args);
  const attributes = decodeSattr3(args);
  await createObject(ctx, call, "MKDIR", dir, name, out, ({ share, fileId, auth }, validName) =>
    ctx.metadata.mkdir(auth, share.name, fileId, validName, toSetAttrRequest(attributes)),
  );
}
