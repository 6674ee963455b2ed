import {
  decodeNetrShareGetInfoRequest,
  ADMIN_ONLY_LEVELS,
  encodeNetrShareGetInfoResponse,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_LEVEL,
  GET_INFO_LEVELS,
  NERR_NetNameNotFound,
  type ShareInfo,
} from "../../../protocol/dcerpc/srvsvc.js";

/**
 * NetrShareGetInfo (MS-SRVS §3.1.4.10): one share by name (share names are case-insensitive), at
 * level 0, 1, 501 or 1005; the administrators' levels are ERROR_ACCESS_DENIED, any other level
 * ERROR_INVALID_LEVEL, an unknown share NERR_NetNameNotFound.
 */
export function netrShareGetInfo(stub: Buffer, shares: readonly ShareInfo[]): Buffer {
  const req = decodeNetrShareGetInfoRequest(stub);
  if (!GET_INFO_LEVELS.includes(req.level)) {
    const status = ADMIN_ONLY_LEVELS.includes(req.level) ? ERROR_ACCESS_DENIED : ERROR_INVALID_LEVEL;
    return encodeNetrShareGetInfoResponse({ level: req.level, info: null, status });
  }
  const wanted = req.netName.toUpperCase();
  const share = shares.find((s) => s.netname.toUpperCase() === wanted);
  if (!share) return encodeNetrShareGetInfoResponse({ level: req.level, info: null, status: NERR_NetNameNotFound });
  return encodeNetrShareGetInfoResponse({ level: req.level, info: share, status: 0 });
}
