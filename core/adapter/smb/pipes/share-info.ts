import { type ShareInfo, STYPE_DISKTREE, STYPE_IPC, STYPE_SPECIAL } from "../../../protocol/dcerpc/srvsvc.js";

/** A share as the SMB layer describes it to the srvsvc pipe. */
export interface PipeShare {
  name: string;
  type: "disk" | "ipc";
  comment: string;
}

/** MS-SRVS §2.2.2.4: IPC$ is STYPE_IPC | STYPE_SPECIAL, as Windows and Samba report it. */
export function toShareInfo(share: PipeShare): ShareInfo {
  return {
    netname: share.name,
    type: share.type === "ipc" ? (STYPE_IPC | STYPE_SPECIAL) >>> 0 : STYPE_DISKTREE,
    remark: share.comment,
    flags: 0, // CSC_CACHE_MANUAL_REINT: clients cache files only when the user asks
  };
}
