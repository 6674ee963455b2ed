import {
  decodeNetrServerGetInfoRequest,
  encodeNetrServerGetInfoResponse,
  ERROR_INVALID_LEVEL,
  PLATFORM_ID_NT,
  SERVER_INFO_LEVELS,
  SV_TYPE_SERVER,
  SV_TYPE_SERVER_NT,
  SV_TYPE_WORKSTATION,
} from "../../../protocol/dcerpc/srvsvc.js";

/**
 * NetrServerGetInfo (MS-SRVS §3.1.4.17): the server's name, platform and type at level 100 or 101,
 * which network browsers show beside the shares; any other level is ERROR_INVALID_LEVEL (every
 * SERVER_INFO arm is a pointer, so a null one answers them all).
 */
export function netrServerGetInfo(stub: Buffer, serverName: string): Buffer {
  const { level } = decodeNetrServerGetInfoRequest(stub);
  if (!SERVER_INFO_LEVELS.includes(level)) return encodeNetrServerGetInfoResponse({ level, info: null, status: ERROR_INVALID_LEVEL });
  return encodeNetrServerGetInfoResponse({
    level,
    info: {
      platformId: PLATFORM_ID_NT,
      name: serverName,
      versionMajor: 10,
      versionMinor: 0,
      type: SV_TYPE_WORKSTATION | SV_TYPE_SERVER | SV_TYPE_SERVER_NT,
      comment: "DittoFS",
    },
    status: 0,
  });
}
