import {
  PMAP_PROG,
  PMAP_VERS,
  PMAPPROC_DUMP,
  PMAPPROC_GETPORT,
  PMAPPROC_NULL,
  PMAPPROC_SET,
  PMAPPROC_UNSET,
  type Mapping,
} from "../../protocol/portmap/mapping.js";
import { AUTH_NONE, AUTH_SYS, type Procedure, type RpcProgram } from "../../protocol/rpc/types.js";
import { pmapDump } from "./handlers/dump.js";
import { pmapGetport } from "./handlers/getport.js";
import { pmapNull } from "./handlers/null.js";
import { pmapSet } from "./handlers/set.js";
import { pmapUnset } from "./handlers/unset.js";

/** The port mapper v2 program answering from `mappings`. PMAPPROC_CALLIT is not offered. */
export function portmapProgram(mappings: () => readonly Mapping[]): RpcProgram {
  const procedures = new Map<number, Procedure>([
    [PMAPPROC_NULL, pmapNull],
    [PMAPPROC_SET, pmapSet],
    [PMAPPROC_UNSET, pmapUnset],
    [PMAPPROC_GETPORT, pmapGetport(mappings)],
    [PMAPPROC_DUMP, pmapDump(mappings)],
  ]);
  return {
    prog: PMAP_PROG,
    name: "portmap",
    versions: new Map([[PMAP_VERS, procedures]]),
    acceptedFlavors: [AUTH_NONE, AUTH_SYS],
  };
}
