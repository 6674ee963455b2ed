import { STATUS_OBJECT_NAME_NOT_FOUND } from "../../protocol/smb2/constants.js";
import type { SmbContext } from "./context.js";
import { smbError } from "./errors.js";
import { SrvsvcPipe } from "./pipes/srvsvc.js";
import type { Pipe } from "./state.js";

/** The named pipes IPC$ offers: srvsvc, so that clients can list the shares. */
export function openPipe(ctx: SmbContext, name: string): Pipe {
  const pipe = name.replace(/^\\/, "").replace(/^pipe\\/i, "").toLowerCase();
  if (pipe !== "srvsvc") throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, `no pipe ${JSON.stringify(name)}`);
  return new SrvsvcPipe({
    serverName: "DITTOFS",
    shares: () => [
      ...ctx.registry
        .shares()
        .filter((share) => share.servedOver("smb"))
        .map((share) => ({ name: share.config.smb.name, type: "disk" as const, comment: share.name })),
      { name: "IPC$", type: "ipc" as const, comment: "IPC Service" },
    ],
  });
}
