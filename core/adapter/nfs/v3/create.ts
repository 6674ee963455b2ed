import type { CreateHow } from "../../../metadata/service.js";
import { EXCLUSIVE, GUARDED, NFS3_CREATEVERFSIZE, UNCHECKED } from "../../../protocol/nfs/v3/constants.js";
import { decodeNfsFh3, decodeNfsString, decodeSattr3, type Sattr3 } from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import { XdrError, type XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { toSetAttrRequest } from "../attrs.js";
import type { NfsContext } from "../context.js";
import { createObject } from "./new-object.js";

/** createhow3 (RFC 1813 §3.3.8) as decoded: the mode with its sattr3, or the verifier. */
type Createhow3 = { mode: typeof UNCHECKED | typeof GUARDED; attributes: Sattr3 } | { mode: typeof EXCLUSIVE; verf: Buffer };

function decodeCreatehow3(args: XdrReader): Createhow3 {
  const mode = args.u32();
  if (mode === UNCHECKED || mode === GUARDED) return { mode, attributes: decodeSattr3(args) };
  // A copy: the verifier may be kept by the metadata store; the record it arrived in may not.
  if (mode === EXCLUSIVE) return { mode, verf: Buffer.from(args.opaqueFixed(NFS3_CREATEVERFSIZE)) };
  throw new XdrError(`invalid createmode3 ${mode}`);
}

/**
 * RFC 1813 §3.3.8 CREATE: args diropargs3 where, createhow3 how; resok post_op_fh3 obj,
 * post_op_attr obj_attributes, wcc_data dir_wcc; resfail wcc_data dir_wcc.
 * UNCHECKED creates or reuses an existing file (applying the attributes), GUARDED fails with
 * NFS3ERR_EXIST if the name exists, EXCLUSIVE stores the createverf3 so that a retransmitted
 * CREATE finds the same file (the metadata service decides all three). When the attributes carry
 * a size, the content follows it (the metadata service sees to it), so an UNCHECKED create of an existing file with size 0
 * truncates its bytes too.
 */
export async function create(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dir = decodeNfsFh3(args);
  const name = decodeNfsString(args);
  const how = decodeCreatehow3(args);
  await createObject(ctx, call, "CREATE", dir, name, out, async ({ share, fileId, auth }, validName) => {
    const serviceHow: CreateHow =
      how.mode === EXCLUSIVE
        ? { mode: "exclusive", verifier: how.verf }
        : { mode: how.mode === GUARDED ? "guarded" : "unchecked", attrs: toSetAttrRequest(how.attributes) };
    return ctx.metadata.create(auth, share.name, fileId, validName, serviceHow);
  });
}
