import { decodeMapping } from "../../../protocol/portmap/mapping.js";
import type { Procedure } from "../../../protocol/rpc/types.js";

/** PMAPPROC_UNSET (RFC 1833 §3.1): unregister; refused like SET, the answer is FALSE. */
export const pmapUnset: Procedure = {
  name: "UNSET",
  handler: (_call, args, out) => {
    decodeMapping(args);
    out.bool(false);
  },
};
