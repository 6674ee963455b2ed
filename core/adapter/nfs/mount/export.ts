import { parseClientRule } from "../../../config/clients.js";
import { encodeExports } from "../../../protocol/nfs/mount/types.js";
import type { RpcCall } from "../../../protocol/rpc/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext } from "../context.js";

/**
 * RFC 1813 §5.2.5 MOUNTPROC3_EXPORT: no arguments; exports, a list of (ex_dir, ex_groups).
 * Every share is listed with its allowed clients as groups, or no groups when it admits every
 * IPv4 and IPv6 address (which is how the RFC spells "everyone").
 */
export function exportList(ctx: NfsContext, _call: RpcCall, _args: XdrReader, out: XdrWriter): void {
  encodeExports(
    out,
    ctx.registry
      .shares()
      .filter((share) => share.servedOver("nfs"))
      .map((share) => ({ directory: share.name, groups: groupsOf(share.config.allowedClients) })),
  );
}

function groupsOf(allowedClients: readonly string[]): readonly string[] {
  const rules = allowedClients.map(parseClientRule);
  const open = (family: "ipv4" | "ipv6") => rules.some((rule) => rule?.family === family && rule.prefix === 0);
  return open("ipv4") && open("ipv6") ? [] : allowedClients;
}
