import { encodeMappingList, type Mapping } from "../../../protocol/portmap/mapping.js";
import type { Procedure } from "../../../protocol/rpc/types.js";

/** PMAPPROC_DUMP (RFC 1833 §3.1): every mapping, as a pmaplist. */
export function pmapDump(mappings: () => readonly Mapping[]): Procedure {
  return {
    name: "DUMP",
    handler: (_call, _args, out) => {
      encodeMappingList(out, mappings());
    },
  };
}
