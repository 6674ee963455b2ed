import type { Procedure } from "../../../protocol/rpc/types.js";

/** PMAPPROC_NULL (RFC 1833 §3.1): a ping; no arguments, no results. */
export const pmapNull: Procedure = { name: "NULL", handler: () => {} };
