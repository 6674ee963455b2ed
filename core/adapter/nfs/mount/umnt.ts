import { decodeDirpath } from "../../../protocol/nfs/mount/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { NfsContext } from "../context.js";
import { shareNameOf } from "./path.js";

/**
 * RFC 1813 §5.2.3 MOUNTPROC3_UMNT: args dirpath; no results. Removes the caller's entry for
 * that path from the mount list; unknown paths are ignored.
 */
export function umnt(ctx: NfsContext, call: RpcCall, args: XdrReader): void {
  const name = shareNameOf(decodeDirpath(args));
  if (name !== null) ctx.mounts.remove(call.remoteAddress, name);
}
