import { STATUS_NOT_SUPPORTED } from "../../../protocol/smb2/constants.js";
import type { SmbCommand } from "../command.js";
import { smbError } from "../errors.js";

/**
 * Commands the server does not carry out yet (CHANGE_NOTIFY, OPLOCK_BREAK): a clear
 * STATUS_NOT_SUPPORTED after the usual session and tree checks, never a dropped connection.
 */
export function notSupported(name: string, structureSize: number): SmbCommand {
  return {
    name,
    structureSize,
    needsSession: true,
    needsTree: true,
    run() {
      throw smbError(STATUS_NOT_SUPPORTED, `${name} is not supported yet`);
    },
  };
}
