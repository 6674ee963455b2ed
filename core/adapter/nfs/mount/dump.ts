import { encodeMountList } from "../../../protocol/nfs/mount/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext } from "../context.js";

/**
 * RFC 1813 §5.2.2 MOUNTPROC3_DUMP: no arguments; mountlist of (hostname, directory) as recorded
 * by MNT and removed by UMNT / UMNTALL. Hostnames are client addresses.
 */
export function dump(ctx: NfsContext, _call: RpcCall, _args: XdrReader, out: XdrWriter): void {
  encodeMountList(out, ctx.mounts.list());
}
