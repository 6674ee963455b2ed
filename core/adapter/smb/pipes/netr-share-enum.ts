import {
  decodeNetrShareEnumRequest,
  encodeNetrShareEnumResponse,
  ADMIN_ONLY_LEVELS,
  ERROR_ACCESS_DENIED,
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

/** Levels listed to any caller (the entries clients ask for: names, types, remarks). */
const SERVED_LEVELS: readonly number[] = [0, 1];
/**
 * Levels refused with ERROR_ACCESS_DENIED, as Windows refuses them to unprivileged callers
 * (smbtorture's "srvsvc anonymous access" expectations): NetrShareEnum also keeps 501 (caching
 * flags) to administrators; NetrShareEnumSticky has no level 501 at all (ERROR_INVALID_LEVEL).
 */
export const SHARE_ENUM_DENIED_LEVELS: readonly number[] = [...ADMIN_ONLY_LEVELS, 501];
export const SHARE_ENUM_STICKY_DENIED_LEVELS: readonly number[] = ADMIN_ONLY_LEVELS;

/** An entry's share of the reply buffer: its fixed part plus each string's NDR size. */
function entrySize(level: number, e: ShareInfo): number {
  const string = (s: string): number => (12 + 2 * (s.length + 1) + 3) & ~3;
  return level === 0 ? 4 + string(e.netname) : 12 + string(e.netname) + string(e.remark);
}

/**
 * NetrShareEnum (MS-SRVS §3.1.4.8) and NetrShareEnumSticky (§3.1.4.9; every share here is
 * persistent): entries from the resume handle on, as many as fit in PreferedMaximumLength, with
 * ERROR_MORE_DATA and the next resume handle when some are left. Levels 0 and 1; `deniedLevels`
 * are ERROR_ACCESS_DENIED, any other ERROR_INVALID_LEVEL.
 */
export function netrShareEnum(stub: Buffer, shares: readonly ShareInfo[], deniedLevels: readonly number[]): Buffer {
  const req = decodeNetrShareEnumRequest(stub);
  if (!SERVED_LEVELS.includes(req.level)) {
    return encodeNetrShareEnumResponse({
      level: req.level,
      entries: null,
      totalEntries: 0,
      resumeHandle: req.resumeHandle,
      status: deniedLevels.includes(req.level) ? ERROR_ACCESS_DENIED : ERROR_INVALID_LEVEL,
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
