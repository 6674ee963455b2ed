import {
  decodeNetrShareEnumRequest,
  encodeNetrShareEnumResponse,
  ENUM_ENTRY_LEVELS,
  ERROR_INVALID_LEVEL,
  ERROR_MORE_DATA,
  ERROR_SUCCESS,
  type ShareInfo,
} from "../../../protocol/dcerpc/srvsvc.js";

/**
 * Most reply bytes one call returns, whatever PreferedMaximumLength asks for: the rest is left
 * for the resume handle (ERROR_MORE_DATA), so a reply stays well under the pipe's output cap.
 */
export const MAX_ENUM_REPLY_BYTES = 256 * 1024;

/** An entry's share of the reply buffer: its fixed part plus each string's NDR size. */
function entrySize(level: number, e: ShareInfo): number {
  const string = (s: string): number => (12 + 2 * (s.length + 1) + 3) & ~3;
  if (level === 0) return 4 + string(e.netname);
  return (level === 1 ? 12 : 16) + string(e.netname) + string(e.remark);
}

/**
 * NetrShareEnum (MS-SRVS §3.1.4.8) and NetrShareEnumSticky (§3.1.4.9; every share here is
 * persistent): entries from the resume handle on, as many as fit in PreferedMaximumLength, with
 * ERROR_MORE_DATA and the next resume handle when some are left.
 */
export function netrShareEnum(stub: Buffer, shares: readonly ShareInfo[]): Buffer {
  const req = decodeNetrShareEnumRequest(stub);
  if (!ENUM_ENTRY_LEVELS.includes(req.level)) {
    return encodeNetrShareEnumResponse({
      level: req.level,
      entries: null,
      totalEntries: 0,
      resumeHandle: req.resumeHandle,
      status: ERROR_INVALID_LEVEL,
    });
  }
  const start = Math.min(req.resumeHandle ?? 0, shares.length);
  const budget = Math.min(req.preferedMaximumLength, MAX_ENUM_REPLY_BYTES);
  const entries: ShareInfo[] = [];
  let used = 0;
  for (let i = start; i < shares.length; i++) {
    const size = entrySize(req.level, shares[i]!);
    if (used + size > budget) break;
    used += size;
    entries.push(shares[i]!);
  }
  const next = start + entries.length;
  const more = next < shares.length;
  return encodeNetrShareEnumResponse({
    level: req.level,
    entries,
    totalEntries: shares.length - start,
    resumeHandle: req.resumeHandle === null ? null : more ? next : 0,
    status: more ? ERROR_MORE_DATA : ERROR_SUCCESS,
  });
}
