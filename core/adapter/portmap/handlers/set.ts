import { decodeMapping } from "../../../protocol/portmap/mapping.js";
import type { Procedure } from "../../../protocol/rpc/types.js";

/**
 * PMAPPROC_SET (RFC 1833 §3.1): register a mapping. Our map is fixed by the server's own
 * configuration, so registration from clients is refused: the answer is FALSE.
 */
export const pmapSet: Procedure = {
  name: "SET",
  handler: (_call, args, out) => {
    decodeMapping(args);
    out.bool(false);
  },
};
