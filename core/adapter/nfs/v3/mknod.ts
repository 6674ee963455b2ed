import type { DeviceNumber, FileType } from "../../../metadata/types.js";
import { NF3BLK, NF3CHR, NF3FIFO, NF3SOCK, NFS3ERR_BADTYPE } from "../../../protocol/nfs/v3/constants.js";
import {
  decodeNfsFh3,
  decodeNfsString,
  decodeSattr3,
  decodeSpecdata3,
  type Sattr3,
} from "../../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import { toSetAttrRequest } from "../attrs.js";
import type { NfsContext } from "../context.js";
import { NfsStatusError } from "../errors.js";
import { createObject } from "./new-object.js";

type SpecialType = Exclude<FileType, "file" | "dir" | "symlink">;

/** mknoddata3 (RFC 1813 §3.3.11) as decoded; `type` null for the void arms (not creatable). */
interface Mknoddata3 {
  type: SpecialType | null;
  attributes: Sattr3 | null;
  spec: DeviceNumber;
}

const NO_DEVICE: DeviceNumber = { major: 0, minor: 0 };

function decodeMknoddata3(args: XdrReader): Mknoddata3 {
  const type = args.u32();
  switch (type) {
    case NF3CHR:
    case NF3BLK: {
      const attributes = decodeSattr3(args);
      const spec = decodeSpecdata3(args);
      return {
        type: type === NF3CHR ? "char" : "block",
        attributes,
        spec: { major: spec.specdata1, minor: spec.specdata2 },
      };
    }
    case NF3SOCK:
    case NF3FIFO:
      return { type: type === NF3SOCK ? "socket" : "fifo", attributes: decodeSattr3(args), spec: NO_DEVICE };
    default:
      return { type: null, attributes: null, spec: NO_DEVICE };
  }
}

/**
 * RFC 1813 §3.3.11 MKNOD: args diropargs3 where, mknoddata3 what; resok post_op_fh3 obj,
 * post_op_attr obj_attributes, wcc_data dir_wcc; resfail wcc_data dir_wcc.
 * FIFOs, sockets and character and block devices (with their specdata3 as rdev) are all created
 * through the metadata service, which decides who may make devices. Any other type takes the
 * union's void arm and is answered NFS3ERR_BADTYPE.
 */
export async function mknod(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dir = decodeNfsFh3(args);
  const name = decodeNfsString(args);
  const what = decodeMknoddata3(args);
  await createObject(ctx, call, "MKNOD", dir, name, out, ({ share, fileId, auth }, validName) => {
    if (what.type === null || what.attributes === null) {
      throw new NfsStatusError(NFS3ERR_BADTYPE, "MKNOD of a type that is not a device, socket or FIFO");
    }
    return ctx.metadata.mknod(auth, share.name, fileId, validName, what.type, toSetAttrRequest(what.attributes), what.spec);
  });
}
