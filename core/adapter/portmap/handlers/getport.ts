import { decodeMapping, type Mapping } from "../../../protocol/portmap/mapping.js";
import type { Procedure } from "../../../protocol/rpc/types.js";

/**
 * The port for `query` (its port field is ignored), or 0 when the program is not registered
 * for that protocol. As rpcbind does, a registered program asked for another version still
 * gets its port, so that the client learns the supported versions from PROG_MISMATCH.
 */
export function findPort(mappings: readonly Mapping[], query: Mapping): number {
  let port = 0;
  for (const m of mappings) {
    if (m.prog !== query.prog || m.prot !== query.prot) continue;
    if (m.vers === query.vers) return m.port;
    port ||= m.port;
  }
  return port;
}

/** PMAPPROC_GETPORT (RFC 1833 §3.1): mapping → port (0 when unknown). */
export function pmapGetport(mappings: () => readonly Mapping[]): Procedure {
  return {
    name: "GETPORT",
    handler: (_call, args, out) => {
      out.u32(findPort(mappings(), decodeMapping(args)));
    },
  };
}
