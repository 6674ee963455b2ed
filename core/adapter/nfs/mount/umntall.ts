import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { NfsContext } from "../context.js";

/** RFC 1813 §5.2.4 MOUNTPROC3_UMNTALL: no arguments, no results; forgets all of the caller's mounts. */
export function umntall(ctx: NfsContext, call: RpcCall): void {
  ctx.mounts.removeHost(call.remoteAddress);
}
