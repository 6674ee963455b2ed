/**
 * The srvsvc named pipe (MS-SRVS) that SMB clients open on IPC$ to list shares: `smbclient -L`,
 * Windows Explorer, macOS Finder. The SMB layer holds one SrvsvcPipe per open of "srvsvc", feeds
 * it the client's WRITEs and answers READs (or FSCTL_PIPE_TRANSCEIVE) from it; see RpcPipeEndpoint
 * for the read semantics and the PipeError reasons.
 */
import {
  OPNUM_NetrServerGetInfo,
  OPNUM_NetrShareEnum,
  OPNUM_NetrShareEnumSticky,
  OPNUM_NetrShareGetInfo,
  SRVSVC_SYNTAX,
} from "../../../protocol/dcerpc/srvsvc.js";
import { netrShareEnum, SHARE_ENUM_DENIED_LEVELS, SHARE_ENUM_STICKY_DENIED_LEVELS } from "./netr-share-enum.js";
import { netrServerGetInfo } from "./netr-server-get-info.js";
import { netrShareGetInfo } from "./netr-share-get-info.js";
import { type RpcProcedure, RpcPipeEndpoint } from "./rpc-endpoint.js";
import { type PipeShare, toShareInfo } from "./share-info.js";

export type { PipeShare } from "./share-info.js";
export { PipeError, type PipeErrorReason } from "./rpc-endpoint.js";

export interface SrvsvcPipeOptions {
  /** The shares to list, IPC$ included; asked on every call, so it may change meanwhile. */
  shares: () => PipeShare[];
  /** This server's name, as NetrServerGetInfo reports it (e.g. the NetBIOS or host name). */
  serverName: string;
}

/** The pipe name clients open (SMB2 CREATE on IPC$), and the bind_ack's secondary address. */
export const SRVSVC_PIPE_NAME = "srvsvc";

export class SrvsvcPipe extends RpcPipeEndpoint {
  constructor(options: SrvsvcPipeOptions) {
    const shares = () => options.shares().map(toShareInfo);
    const procedures = new Map<number, RpcProcedure>([
      [
        OPNUM_NetrShareEnum,
        { name: "NetrShareEnum", handler: (stub) => netrShareEnum(stub, shares(), SHARE_ENUM_DENIED_LEVELS) },
      ],
      [OPNUM_NetrShareGetInfo, { name: "NetrShareGetInfo", handler: (stub) => netrShareGetInfo(stub, shares()) }],
      [OPNUM_NetrServerGetInfo, { name: "NetrServerGetInfo", handler: (stub) => netrServerGetInfo(stub, options.serverName) }],
      [
        OPNUM_NetrShareEnumSticky,
        { name: "NetrShareEnumSticky", handler: (stub) => netrShareEnum(stub, shares(), SHARE_ENUM_STICKY_DENIED_LEVELS) },
      ],
    ]);
    super({ syntax: SRVSVC_SYNTAX, secondaryAddress: `\\PIPE\\${SRVSVC_PIPE_NAME}`, procedures });
  }
}
